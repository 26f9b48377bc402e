from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from groups import policy, selectors, services, share
from groups.forms import ClaimForm, ContactForm, DirectoryFilterForm, GroupForm
from groups.models import Group, GroupSlugHistory, GroupStatus, Membership, MembershipRole, MembershipStatus
from imc import jsonld, registry
from imc.csvsafe import csv_writer
from imc.markdown import render_markdown
from imc.net import client_ip
from imc.pagecache import member_page, public_page


def _group_for(request: HttpRequest, slug: str, view_name: str = "groups:detail") -> Group | HttpResponse:
    """The group at this address, a permanent redirect from a former address, or a 404 for a
    group this person may not see (unlisted groups are not revealed)."""
    group = Group.objects.select_related("district", "home_town").filter(slug=slug).first()
    if group is None:
        old = GroupSlugHistory.objects.select_related("group").filter(slug=slug).first()
        if old is None:
            raise Http404("No such group")
        url = reverse(view_name, args=[old.group.slug])
        if request.META.get("QUERY_STRING"):
            url += "?" + request.META["QUERY_STRING"]
        return HttpResponsePermanentRedirect(url)
    if not policy.can_view(request.user, group):
        raise Http404("No such group")
    return group


@public_page
@member_page
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET)
    result = selectors.directory_search(form.filters(), request.GET.get("page"))
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "form": form,
        "result": result,
        "page_obj": result.page,
        "groups": result.page.object_list,
        "querystring": urlencode(params),
    }
    return render(request, "groups/directory.html", context)


@public_page
def map_data(request: HttpRequest) -> JsonResponse:
    """The directory's map: every group its filters match, one marker per home town (JSON)."""
    form = DirectoryFilterForm(request.GET)
    return JsonResponse(selectors.directory_map(form.filters() if form.is_valid() else None))


@public_page
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_for(request, slug)
    if isinstance(group, HttpResponse):
        return group
    user = request.user
    towns = sorted(group.towns.all(), key=lambda t: (t.pk != group.home_town_id, t.name))
    listed = group.status == GroupStatus.APPROVED
    context = {
        "group": group,
        "description_html": render_markdown(group.description),
        "towns": towns,
        # Search engines read the listed groups only (groups/share.py).
        "jsonld": jsonld.script(share.group_data(group, towns)) if listed else "",
        "organizer_names": selectors.group_organizer_names(group),
        "member_count": selectors.group_member_count(group),
        "membership": selectors.membership_of(user, group),
        "is_organizer": policy.is_organizer(user, group),
        "can_edit": policy.can_edit(user, group),
        "can_join": policy.can_join(user, group),
        "is_orphaned": group.status == GroupStatus.APPROVED and services.is_orphaned(group),
        "relay_to_reps": selectors.relay_to_reps_districts(group) if group.status == GroupStatus.APPROVED else "",
        "contact_form": ContactForm(user=user),
        "claim_form": ClaimForm(),
        "panels": registry.panels(registry.Kind.GROUP_PANEL, request, group),
    }
    return render(request, "groups/detail.html", context)


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        group = services.group_submit(submitter=request.user, details=form.details())
        messages.success(
            request, "Thank you. Your listing waits for your district's representatives, who have been told."
        )
        return redirect(group.get_absolute_url())
    return render(request, "groups/submit.html", {"form": form})


@login_required
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_for(request, slug, "groups:edit")
    if isinstance(group, HttpResponse):
        return group
    if not policy.can_edit(request.user, group):
        raise Http404("No such group")
    form = GroupForm(request.POST or None, actor=request.user, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_update(group=group, actor=request.user, details=form.details())
        except services.GroupError as exc:
            # The form offered only what the policy allows; this is a rule that changed meanwhile.
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The listing was saved.")
            return redirect(group.get_absolute_url())
    return render(request, "groups/edit.html", {"form": form, "group": group})


@require_POST
@login_required
def join(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    if not policy.can_join(request.user, group):
        raise Http404("No such group")
    membership = services.membership_join(user=request.user, group=group)
    if membership.status == MembershipStatus.PENDING:
        messages.info(request, f"You asked to join {group.name}. Its organizers will decide.")
    else:
        messages.success(request, f"You joined {group.name}.")
    return redirect(group.get_absolute_url())


@require_POST
@login_required
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    try:
        services.membership_leave(user=request.user, group=group)
    except services.GroupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You left {group.name}.")
    if policy.can_view(request.user, group):
        return redirect(group.get_absolute_url())
    return redirect("accounts:profile")


def contact(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_for(request, slug)
    if isinstance(group, HttpResponse):
        return group
    if group.status != GroupStatus.APPROVED:
        raise Http404("No such group")
    relay_to_reps = selectors.relay_to_reps_districts(group)
    return relay_form(
        request,
        {"group": group},
        done_message=(
            f"Your message was passed on to the coalition's district representatives for {relay_to_reps}."
            if relay_to_reps
            else "Your message was passed on to the group's organizers."
        ),
        done_url=group.get_absolute_url(),
        extra={"relay_to_reps": relay_to_reps},
    )


def relay_form(
    request: HttpRequest, target: dict, *, done_message: str, done_url: str, extra: dict | None = None
) -> HttpResponse:
    """The contact form of a group or a team (``target`` is ``{"group": g}`` or ``{"team": t}``):
    sends through the relay, or shows the form again with what went wrong. ``extra`` is more
    for the page (who reads the message, when it is not the organizers)."""
    form = ContactForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.relay_send(
                **target,
                sender=request.user if request.user.is_authenticated else None,
                sender_name=form.cleaned_data["name"],
                sender_email=form.cleaned_data["email"],
                body=form.cleaned_data["message"],
                ip_address=client_ip(request),
            )
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except services.GroupError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done_message)
            return redirect(done_url)
    return render(request, "groups/contact.html", {"form": form, **target, **(extra or {})}, status=status)


@login_required
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_for(request, slug)
    if isinstance(group, HttpResponse):
        return group
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_submit(user=request.user, group=group, message=form.cleaned_data["message"])
        except services.GroupError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you. The district's representatives will review your claim.")
            return redirect(group.get_absolute_url())
    return render(request, "groups/claim.html", {"form": form, "group": group})


def _organized_group(request: HttpRequest, slug: str) -> Group:
    group = get_object_or_404(Group, slug=slug)
    if not policy.can_see_members(request.user, group):
        raise Http404("No such group")
    return group


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    group = _organized_group(request, slug)
    page = Paginator(selectors.group_members(group), 100).get_page(request.GET.get("page"))
    context = {"group": group, "memberships": page.object_list, "page_obj": page}
    return render(request, "groups/members.html", context)


@require_POST
@login_required
def member_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = _organized_group(request, slug)
    membership = get_object_or_404(Membership, pk=pk, group=group)
    decision = request.POST.get("decision")
    try:
        if decision in {"approve", "decline"}:
            services.membership_decide(organizer=request.user, membership=membership, approve=decision == "approve")
        elif decision in {"make_organizer", "make_member"}:
            role = MembershipRole.ORGANIZER if decision == "make_organizer" else MembershipRole.MEMBER
            services.membership_set_role(organizer=request.user, membership=membership, role=role)
        else:
            messages.error(request, "Choose what to do with this member.")
    except services.GroupError as exc:
        messages.error(request, str(exc))
    return redirect("groups:members", slug=group.slug)


@login_required
def members_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    group = _organized_group(request, slug)
    writer = csv_writer()

    def rows():
        yield writer.writerow(["first_name", "last_name", "email", "role", "status", "joined"])
        for m in selectors.group_members(group).iterator(chunk_size=2000):
            yield writer.writerow(
                [m.user.first_name, m.user.last_name, m.user.email, m.role, m.status, m.created_at.date().isoformat()]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{group.slug}-members.csv"'
    response["Cache-Control"] = "no-store"
    return response


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The yearly "still active?" link. GET shows a button, POST confirms: mail scanners that
    follow links must not confirm on their own."""
    group = services.group_from_confirmation_token(token)
    if group is None:
        return render(request, "groups/confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        actor = request.user if request.user.is_authenticated else None
        services.group_confirm(group=group, actor=actor, token=token)
        messages.success(request, f"Thank you: {group.name} is confirmed as active for another year.")
        return redirect(group.get_absolute_url() if group.status == GroupStatus.APPROVED else "home")
    return render(request, "groups/confirm.html", {"group": group})
