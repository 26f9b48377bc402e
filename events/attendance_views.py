"""Check-in at the door and writing to an event's people: thin views over ``events.attendance``.

Only the people who run the event (``events.policy.can_manage``) reach these pages; anybody
else gets the same 404 as for the attendees page, so a draft is not revealed either. Every page
works without JavaScript: each row of the check-in list is a form of its own; with JavaScript
(``static/js/checkin.js``) a tap updates the row without reloading the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from events import attendance, policy
from events.attendance_forms import AttendeeMessageForm, ThankYouForm, WalkInForm
from events.models import Event, Rsvp

SEARCH_MAX_LENGTH = 100


def _managed_event(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(Event.objects.select_related("host_group", "town"), slug=slug)
    if not policy.can_manage(request.user, event):
        raise Http404("No such event")  # outsiders cannot even learn that a draft exists
    return event


def _search_of(data) -> str:
    return " ".join(str(data.get("q", "")).split())[:SEARCH_MAX_LENGTH]


def _check_in_url(event: Event, q: str = "") -> str:
    url = reverse("events:check_in", args=[event.slug])
    return f"{url}?{urlencode({'q': q})}" if q else url


def _page_of(data) -> int:
    text = str(data.get("page", ""))
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _render_check_in(
    request: HttpRequest, event: Event, *, q: str, form: WalkInForm, page: int = 1, status: int = 200
) -> HttpResponse:
    people = attendance.check_in_list(event, q, page)
    base = reverse("events:check_in", args=[event.slug])

    def page_url(number: int) -> str:
        return f"{base}?{urlencode({'q': q, 'page': number} if q else {'page': number})}"

    context = {
        "event": event,
        "q": q,
        "people": people,
        # Each row's form posts to <mark_base><pk>/: one reverse() for the page, not one per row.
        "mark_base": reverse("events:check_in_mark", args=[event.slug, 0]).removesuffix("0/"),
        "previous_url": page_url(people.page - 1) if people.page > 1 else "",
        "next_url": page_url(people.page + 1) if people.page < people.pages else "",
        "problem": attendance.check_in_problem(event),
        "form": form,
    }
    return render(request, "events/checkin.html", context, status=status)


@login_required
def check_in(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    return _render_check_in(request, event, q=_search_of(request.GET), form=WalkInForm(), page=_page_of(request.GET))


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_POST
def check_in_mark(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One tap: ``attended=1`` marks the person as come, ``attended=0`` takes it back."""
    event = _managed_event(request, slug)
    found = get_object_or_404(Rsvp, pk=pk, event=event)
    found.event = event
    q = _search_of(request.POST)
    try:
        rsvp = attendance.check_in_mark(rsvp=found, by=request.user, attended=request.POST.get("attended") != "0")
    except (attendance.AttendanceError, PermissionDenied) as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc)}, status=409)
        messages.error(request, str(exc))
        return redirect(_check_in_url(event, q))
    if _wants_json(request):
        came, expected = attendance.check_in_counts(event)
        return JsonResponse(
            {"attended": bool(rsvp.attended), "status": rsvp.status, "came": came, "expected": expected}
        )
    if rsvp.attended:
        messages.success(request, f"{rsvp.person_name} is checked in.")
    else:
        messages.info(request, f"{rsvp.person_name} is no longer checked in.")
    return redirect(_check_in_url(event, q))


@login_required
@require_POST
def check_in_walk_in(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            rsvp = attendance.walk_in_add(
                event=event, by=request.user, name=form.cleaned_data["name"], email=form.cleaned_data["email"]
            )
        except attendance.AttendanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{rsvp.person_name} is in, and checked in.")
            return redirect(_check_in_url(event))
    return _render_check_in(request, event, q="", form=form)


@login_required
def message_attendees(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    counts = attendance.audience_counts(event)
    form = AttendeeMessageForm(request.POST or None, counts=counts)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            message = attendance.attendee_message_send(
                event=event,
                by=request.user,
                audiences=form.cleaned_data["audiences"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except attendance.RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except attendance.AttendanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your message is on its way to {message.recipients} people.")
            return redirect("events:attendees", slug=event.slug)
    context = {"event": event, "form": form, "limit": attendance.messages_per_day()}
    return render(request, "events/message_attendees.html", context, status=status)


@login_required
def thank_you(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    subject, body = attendance.thank_you_default(event)
    form = ThankYouForm(request.POST or None, initial={"subject": subject, "body": body})
    if request.method == "POST" and form.is_valid():
        try:
            message = attendance.thank_you_send(
                event=event, by=request.user, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
        except attendance.AttendanceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Your thank-you is on its way to {message.recipients} people.")
            return redirect("events:attendees", slug=event.slug)
    context = {
        "event": event,
        "form": form,
        "problem": attendance.thank_you_problem(event),
        "came": len(attendance.recipients(event, ["attended"])),
    }
    return render(request, "events/thank_you.html", context)
