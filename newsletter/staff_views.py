"""Coordinators' pages: compose with a live preview, test, schedule, send, watch, pause, cancel."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.middleware import StaffAdminMFAMiddleware
from districts.models import District
from newsletter import selectors, services
from newsletter.forms import NewsletterForm, ScheduleForm
from newsletter.models import Newsletter, NewsletterStatus
from newsletter.policy import can_compose


def coordinator_required(view):
    """Coordinators only, and with the admin's rule for staff: a second factor in this session.
    The services check their actor again, whoever calls them; this is the pages' own answer
    (sign in, 403, the second factor)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_compose(request.user):
            raise PermissionDenied
        refusal = StaffAdminMFAMiddleware(lambda r: HttpResponse()).refuse(request, reverse("admin:index"))
        if refusal is not None:
            return refusal
        return view(request, *args, **kwargs)

    return wrapped


@coordinator_required
def issue_list(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/staff/list.html", {"issues": Newsletter.objects.all()[:200]})


def _save(form: NewsletterForm, request: HttpRequest, newsletter: Newsletter | None) -> Newsletter:
    districts = form.cleaned_data["districts"]
    return services.newsletter_save(
        newsletter=newsletter,
        by=request.user,
        subject=form.cleaned_data["subject"],
        preheader=form.cleaned_data["preheader"],
        body_markdown=form.cleaned_data["body_markdown"],
        audience_all=not districts,
        districts=districts,
        include_events=form.cleaned_data["include_events"],
    )


@coordinator_required
def issue_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter, pk=pk) if pk else None
    editable = newsletter is None or newsletter.editable
    form = NewsletterForm(request.POST or None, instance=newsletter)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and editable and form.is_valid():
        newsletter = _save(form, request, newsletter)
        messages.success(request, "Saved. The preview below shows the email as it will look.")
        return redirect("newsletter:staff_edit", pk=newsletter.pk)
    context = {"form": form, "newsletter": newsletter, "editable": editable}
    if newsletter is not None:
        copy = services.newsletter_test_copy(newsletter=newsletter, by=request.user)
        context.update(
            {
                "preview_text": copy.text,
                "preview_reader": copy.reader.about,
                "audience_count": selectors.audience_count(newsletter),
                "progress": selectors.progress(newsletter),
                "report": selectors.report(newsletter)
                if newsletter.status in (NewsletterStatus.SENT, NewsletterStatus.CANCELLED)
                else None,
                "schedule_form": ScheduleForm(),
            }
        )
    return render(request, "newsletter/staff/edit.html", context, status=400 if form.errors else 200)


class _Draft:
    """An unsaved issue for the live preview: what the form holds right now."""

    editable = True
    slug = ""

    def __init__(self, data: QueryDict) -> None:
        self.subject = data.get("subject", "")
        self.preheader = data.get("preheader", "")
        self.body_markdown = data.get("body_markdown", "")
        self.include_events = bool(data.get("include_events"))
        # Whatever was posted: only the ids of real districts count (compared as text, so no
        # value can overflow a lookup).
        known = {str(pk): pk for pk in District.objects.values_list("pk", flat=True)}
        self.district_ids = [known[value] for value in data.getlist("districts") if value in known]
        self.audience_all = not self.district_ids


@coordinator_required
@require_POST
def live_preview(request: HttpRequest) -> JsonResponse:
    """The email as it will look, for the compose page's script to show while typing."""
    draft = _Draft(request.POST)
    copy = services.newsletter_test_copy(newsletter=draft, by=request.user, district_ids=draft.district_ids)
    return JsonResponse({"html": copy.html, "text": copy.text, "reader": copy.reader.about})


@never_cache
@xframe_options_sameorigin
@coordinator_required
def email_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The saved issue's HTML part, shown in a frame of the compose page."""
    newsletter = get_object_or_404(Newsletter, pk=pk)
    response = HttpResponse(services.newsletter_test_copy(newsletter=newsletter, by=request.user).html)
    # The email's own styles are inline; it runs no script and may only be framed by us.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; frame-ancestors 'self'"
    )
    return response


@never_cache
@coordinator_required
def progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    newsletter = get_object_or_404(Newsletter, pk=pk)
    return JsonResponse(
        {
            "status": newsletter.status,
            "status_label": newsletter.get_status_display(),
            **selectors.progress(newsletter).as_dict(),
        }
    )


@coordinator_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter, pk=pk)
    try:
        services.newsletter_send_test(newsletter=newsletter, by=request.user)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A test copy is on its way to {request.user.email}.")
    return redirect("newsletter:staff_edit", pk=pk)


@coordinator_required
@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter, pk=pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.newsletter_schedule(newsletter=newsletter, by=request.user, when=form.cleaned_data["when"])
            messages.success(request, "Scheduled.")
        except services.NotAllowed as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, " ".join(form.errors.get("when", ["Choose a valid time."])))
    return redirect("newsletter:staff_edit", pk=pk)


@coordinator_required
def send_now(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation with the number of recipients; POST with confirm=yes sends."""
    newsletter = get_object_or_404(Newsletter, pk=pk)
    count = selectors.audience_count(newsletter)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.newsletter_send_now(newsletter=newsletter, by=request.user)
            messages.success(request, f"Sending to {count} recipients.")
        except services.NotAllowed as exc:
            messages.error(request, str(exc))
        return redirect("newsletter:staff_edit", pk=pk)
    return render(request, "newsletter/staff/confirm_send.html", {"newsletter": newsletter, "count": count})


ACTIONS = {
    "pause": services.newsletter_pause,
    "resume": services.newsletter_resume,
    "cancel": services.newsletter_cancel,
    "unschedule": services.newsletter_unschedule,
}


@coordinator_required
@require_POST
def state_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter, pk=pk)
    service = ACTIONS.get(action)
    if service is None:
        return HttpResponse(status=404)
    try:
        newsletter = service(newsletter=newsletter, by=request.user)
        messages.success(request, f"The issue is now {newsletter.get_status_display().lower()}.")
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    return redirect("newsletter:staff_edit", pk=pk)
