"""The desk's pages: thin, each asks ``desk.policy`` and calls a selector or a service."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.mfa import has_totp, session_passed_mfa
from allies.selectors import allies_of_district
from desk import charts, selectors, services
from desk.forms import ContactNoteForm, FeatureForm, OutreachForm
from desk.policy import (
    can_open_district,
    can_see_health,
    desk_district_ids,
    desk_groups,
    featurable_events,
    has_desk,
)
from districts.models import District
from imc.csvsafe import csv_writer
from imc.links import MARKER

DESK_PAGE_SIZE = 100


def desk_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Visitors sign in; people without a desk are refused; staff pass their second factor
    first, as for the admin (accounts.middleware), since the desk holds the reps' notes."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and has_desk(user)):
            raise PermissionDenied("The district desk is for the Coordinating Board's reps and coordinators.")
        if not has_totp(user):
            messages.warning(request, "Set up an authenticator app before the district desk opens.")
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_passed_mfa(request):
            messages.info(request, "Enter a code from your authenticator app to open the district desk.")
            return HttpResponseRedirect(
                f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}"
            )
        return view(request, *args, **kwargs)

    return guarded


def _district_for(request: HttpRequest, slug: str) -> District:
    """The district of this desk, or 404 for one the person does not open (as if absent)."""
    district = District.objects.filter(slug=slug).first()
    if district is None or not can_open_district(request.user, district):
        raise Http404("No such desk")
    return district


@desk_view
def index(request: HttpRequest) -> HttpResponse:
    ids = desk_district_ids(request.user)
    districts = District.objects.all() if ids is None else District.objects.filter(pk__in=ids)
    return render(request, "desk/index.html", {"districts": districts, "statewide": can_see_health(request.user)})


@desk_view
def district(request: HttpRequest, district: str) -> HttpResponse:
    found = _district_for(request, district)
    rows = selectors.district_desk(found)
    # A page of groups at a time, in the attention order: the first page is the work to do.
    page = Paginator(rows, DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    # One reverse() for the page, not one per group (imc.links explains the cost).
    link = reverse("desk:group", args=[found.slug, MARKER])
    for row in page.object_list:
        row.url = link.replace(MARKER, row.group.slug)
    tiers = {tier: [r for r in page.object_list if r.tier == tier] for tier in selectors.Tier}
    totals = [sum(1 for r in rows if r.tier == tier) for tier in selectors.Tier]
    return render(
        request,
        "desk/district.html",
        {
            "district": found,
            "rows": rows,
            "page": page,
            "tiers": tiers,
            "totals": totals,
            "Tier": selectors.Tier,
            "allies": allies_of_district(found),
        },
    )


@desk_view
def group(request: HttpRequest, district: str, slug: str) -> HttpResponse:
    found = _district_for(request, district)
    target = get_object_or_404(desk_groups(found).select_related("home_town"), slug=slug)
    form = ContactNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_note_add(rep=request.user, group=target, **form.cleaned_data)
        except services.DeskError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Check-in with {target.name} recorded.")
            return redirect("desk:group", district=found.slug, slug=target.slug)
    return render(
        request,
        "desk/group.html",
        {"district": found, "group": target, "notes": selectors.group_log(target), "form": form},
    )


@desk_view
def reach_out(request: HttpRequest, district: str) -> HttpResponse:
    found = _district_for(request, district)
    groups = desk_groups(found).select_related("home_town").order_by("name")
    form = OutreachForm(request.POST or None, groups=groups, initial={"groups": request.GET.getlist("group")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            outreach, skipped = services.outreach_send(
                rep=request.user,
                district=found,
                groups=list(form.cleaned_data["groups"]),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except services.DeskError as exc:
            form.add_error(None, str(exc))
        else:
            done = f"Your message is on its way to {outreach.recipients} organizer(s)."
            if skipped:
                done += " Nobody could receive it for: " + ", ".join(g.name for g in skipped) + "."
            messages.success(request, done)
            return redirect("desk:district", district=found.slug)
    return render(
        request,
        "desk/reach_out.html",
        {"district": found, "form": form, "limit": services.outreach_daily_limit()},
        status=status,
    )


@desk_view
def featured(request: HttpRequest, district: str) -> HttpResponse:
    """The district's next events, each with a button to feature or unfeature it."""
    found = _district_for(request, district)
    form = FeatureForm(request.POST or None, events=featurable_events(found))
    if request.method == "POST" and form.is_valid():
        event, action = form.cleaned_data["event"], form.cleaned_data["action"]
        try:
            if action == "feature":
                services.event_feature(by=request.user, event=event)
            else:
                services.event_unfeature(by=request.user, event=event)
        except services.DeskError as exc:
            form.add_error(None, str(exc))
        else:
            done = "is featured until it has taken place" if action == "feature" else "is no longer featured"
            messages.success(request, f"{event.title} {done}.")
            return redirect("desk:featured", district=found.slug)
    return render(
        request,
        "desk/featured.html",
        {"district": found, "events": selectors.district_featurable(found), "form": form},
    )


def _health_or_403(request: HttpRequest) -> list[selectors.DistrictHealth]:
    if not can_see_health(request.user):
        raise PermissionDenied("The coalition's health is for coordinators.")
    return selectors.coalition_health()


@desk_view
def statewide(request: HttpRequest) -> HttpResponse:
    health = _health_or_403(request)
    months = selectors.months_back(timezone.localdate())
    share = [
        charts.bar_chart(
            id="contacted",
            title="Groups a rep contacted in the last 90 days",
            description="The share of each district's listed groups with a rep's check-in in the last 90 days.",
            column="Share contacted",
            data=[(h.district.code, h.contacted_share or 0) for h in health],
            percent=True,
        ),
        charts.bar_chart(
            id="active",
            title="Groups active in the last 90 days",
            description="The share of each district's listed groups that held an event or confirmed "
            "their listing in the last 90 days.",
            column="Share active",
            data=[(h.district.code, h.active_share or 0) for h in health],
            percent=True,
        ),
    ]
    monthly = [
        charts.bar_chart(
            id=f"events-{h.district.slug}",
            title=f"Events per month in {h.district.code}",
            description=f"Published events in {h.district.code} in each of the last 12 months, "
            f"{sum(h.events_per_month)} in all.",
            column="Events",
            data=[(m.strftime("%b %y"), n) for m, n in zip(months, h.events_per_month, strict=True)],
        )
        for h in health
    ]
    return render(request, "desk/statewide.html", {"health": health, "share_charts": share, "monthly": monthly})


CSV_HEADER = ["district", "groups", "active_90_days", "stale", "contacted_90_days", "contacted_share"]


@desk_view
def statewide_csv(request: HttpRequest) -> StreamingHttpResponse:
    health = _health_or_403(request)
    months = selectors.months_back(timezone.localdate())
    writer = csv_writer()

    def rows():
        yield writer.writerow([*CSV_HEADER, *(f"events_{m:%Y_%m}" for m in months)])
        for h in health:
            share = "" if h.contacted_share is None else f"{h.contacted_share:.2f}"
            yield writer.writerow(
                [h.district.code, h.groups, h.active, h.stale, h.contacted, share, *h.events_per_month]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coalition-health-{timezone.localdate()}.csv"'
    return response
