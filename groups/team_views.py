"""The coalition's teams (``districts.Team``): a list, a page each, "I want to help" and a relay
to the team's lead, whose address never appears in a page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from districts.models import Team
from groups import services
from groups.forms import ContactForm, VolunteerForm
from groups.models import TeamVolunteer
from groups.views import relay_form
from imc.markdown import render_markdown
from imc.pagecache import public_page


@public_page
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "groups/team_list.html", {"teams": Team.objects.order_by("name")})


def is_team_lead(user, team: Team) -> bool:
    return bool(user.is_authenticated and team.lead_id == user.pk)


def _team_context(request: HttpRequest, team: Team, **extra) -> dict:
    user = request.user
    lead = is_team_lead(user, team)
    return {
        "team": team,
        "description_html": render_markdown(team.description),
        "how_to_help_html": render_markdown(team.how_to_help),
        "lead_name": (team.lead.first_name or "The team lead") if team.lead_id else "",
        "is_lead": lead,
        "volunteers": list(team.volunteers.select_related("user")) if lead else [],
        "offer": TeamVolunteer.objects.filter(team=team, user=user).first() if user.is_authenticated else None,
        "volunteer_form": VolunteerForm(),
        "contact_form": ContactForm(user=user),
        **extra,
    }


@public_page
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("lead"), slug=slug)
    return render(request, "groups/team_detail.html", _team_context(request, team))


@require_POST
@login_required
def volunteer(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    form = VolunteerForm(request.POST)
    if not form.is_valid():
        context = _team_context(request, team, volunteer_form=form)
        return render(request, "groups/team_detail.html", context, status=400)
    services.team_volunteer(user=request.user, team=team, message=form.cleaned_data["message"])
    messages.success(request, f"Thank you. The lead of {team.name} will see that you want to help.")
    return redirect("teams:detail", slug=team.slug)


@require_POST
@login_required
def withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    services.team_unvolunteer(user=request.user, team=team)
    messages.success(request, f"You are no longer listed as a helper of {team.name}.")
    return redirect("teams:detail", slug=team.slug)


def contact(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("lead"), slug=slug)
    return relay_form(
        request,
        {"team": team},
        done_message="Your message was passed on to the team's lead.",
        done_url=reverse("teams:detail", args=[team.slug]),
    )
