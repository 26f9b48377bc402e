"""Thin views: they read through selectors, write through services and ask events.policy."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from districts.models import District
from events import attendance, policy, selectors, services, share
from events.forms import AccommodationForm, EventFilterForm, EventForm, RsvpForm, question_formset
from events.ics import build_calendar, event_ics, google_calendar_url, outlook_calendar_url
from events.models import GUEST_HOLD, MAX_PARTY, CoHostInvitation, CoHostStatus, Event, MemberCalendar, Rsvp, RsvpStatus
from events.origin import lock_form, origin_of
from events.reminders import MA_TZ, rsvp_from_cant_come_token
from events.rules import ACCOMMODATION_QUESTION, MAX_QUESTIONS, RsvpRefused
from groups import policy as group_policy
from groups.models import Group
from imc.csvsafe import csv_writer
from imc.links import absolute
from imc.markdown import render_markdown
from imc.pagecache import member_page, public_page
from imc.registry import Kind, panels

PAGE_SIZE = 20
# The listing counts at most this many matches ("more than 500"): an exact count of every upcoming event
# in a 50-mile radius would grow with the calendar, and nobody pages through more than this.
COUNT_CAP = 500


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        # Counting needs no order: without it PostgreSQL stops after COUNT_CAP + 1 matching rows.
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > COUNT_CAP


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@public_page
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        events = Event.objects.none()
    else:
        filters = form.filters() if form.is_bound else selectors.EventFilters()
        events = selectors.event_search(filters)
    page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "events": page.object_list,
        "querystring": _querystring(request),
        "can_create": policy.can_create_any(request.user),
        "count_cap": COUNT_CAP,
        "feed": _feed_links(request) if not form.errors else None,
    }
    return render(request, "events/event_list.html", context)


def _feed_links(request: HttpRequest) -> dict[str, str]:
    """The list's "Subscribe": the calendar feed with the same filters (``calendar_ics``), and its
    ``webcal:`` twin that calendar apps open as a subscription."""
    query = _querystring(request)
    url = absolute(reverse("events:calendar_ics") + (f"?{query}" if query else ""))
    return {"url": url, "webcal": "webcal://" + url.split("://", 1)[1], "filtered": bool(query)}


@public_page
def event_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        date(year, month, 1)
        if not 1 < year < 9999:  # the previous and next months must be dates too
            raise ValueError(year)
    except ValueError:
        year, month = today.year, today.month
    form = EventFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.EventFilters()
    by_day: dict[date, list[Event]] = {}
    for event in selectors.events_in_month(filters, year, month):
        by_day.setdefault(event.starts_at.astimezone(MA_TZ).date(), []).append(event)
    weeks = [
        [(day, by_day.get(day, []), day.month == month) for day in week]
        for week in pycalendar.Calendar(firstweekday=6).monthdatescalendar(year, month)
    ]
    previous = date(year - (month == 1), (month - 2) % 12 + 1, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    params = request.GET.copy()
    params.pop("month", None)
    context = {
        "form": form,
        "weeks": weeks,
        "month_start": date(year, month, 1),
        "has_events": any(day.month == month for day in by_day),
        "previous": previous,
        "following": following,
        "today": today,
        "querystring": params.urlencode(),
    }
    return render(request, "events/event_calendar.html", context)


def _visible_event(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(Event.objects.select_related("host_group", "town", "district"), slug=slug)
    if not policy.can_view(request.user, event):
        raise Http404("No such event")
    return event


def _detail_context(request: HttpRequest, event: Event, rsvp_form: RsvpForm | None = None) -> dict:
    rsvp = None
    if request.user.is_authenticated:
        rsvp = Rsvp.objects.filter(event=event, user=request.user).first()
    manages = policy.can_manage(request.user, event)
    # The venue and street of a private address: for those who run it and people with a seat.
    sees_address = policy.sees_address(request.user, event, rsvp=rsvp)
    venue, street = event.place_lines(address=sees_address)
    questions = selectors.event_questions(event)
    return {
        "event": event,
        "venue": venue,
        "street": street,
        "location": event.location_text_with(address=sees_address),
        "rsvp_form": rsvp_form or RsvpForm(questions=questions),
        "question_count": len(questions),
        "co_hosts": list(event.co_hosts.all()),
        "description_html": render_markdown(event.description),
        "rsvp": rsvp,
        "is_going": bool(rsvp and rsvp.status == RsvpStatus.GOING),
        "waitlist_position": selectors.waitlist_position(rsvp) if rsvp else None,
        "seats_left": selectors.seats_left(event),
        "can_manage": manages,
        "rsvp_open": event.is_published and timezone.now() < event.starts_at,
        "google_url": google_calendar_url(event, include_address=sees_address),
        "outlook_url": outlook_calendar_url(event, include_address=sees_address),
        "going_count": event.rsvps.going().count() if manages else None,
        "waitlist_count": event.rsvps.waitlisted().count() if manages else None,
        "cohost_invitations": selectors.cohost_invitations_of(event) if manages else [],
        "cohost_to_answer": selectors.cohost_invitations_answerable(request.user, event),
        "guest_hold_minutes": int(GUEST_HOLD.total_seconds() // 60),
        "max_bringing": MAX_PARTY - 1,
        # An imported event takes its RSVPs where it comes from (events/origin.py).
        "origin": origin_of(event),
        "share": share.share_context(event),
        "event_panels": panels(Kind.EVENT_PANEL, request, event),
    }


@public_page
@member_page
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = _visible_event(request, slug)
    return render(request, "events/event_detail.html", _detail_context(request, event))


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def event_ics_view(request: HttpRequest, slug: str) -> HttpResponse:
    event = _visible_event(request, slug)
    mine = Rsvp.objects.filter(event=event, user=request.user).first() if request.user.is_authenticated else None
    going = mine is not None and mine.status == RsvpStatus.GOING
    body = event_ics(event, include_join_url=going, include_address=policy.sees_address(request.user, event, rsvp=mine))
    return _ics_response(body, f"{event.slug}.ics")


def calendar_ics(request: HttpRequest) -> HttpResponse:
    """The whole calendar, or, with the listing's filters in the query, the feed a filtered list's
    "Subscribe" gives: exactly the events that list shows (its own selector, its own form).

    A filtered feed carries what the list does, upcoming published events: a cancelled one leaves
    the feed, and calendar apps drop what leaves a subscribed feed. The whole calendar keeps
    cancelled and recent events (``feed_events``), as it always has."""
    form = EventFilterForm(request.GET or None)
    if not form.is_bound:
        body = build_calendar(selectors.feed_events(), name="Indivisible Mass Coalition events")
        return _ics_response(body, "imc-events.ics")
    if not form.is_valid():
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponse(
            f"These filters could not be used: {problems}", status=400, content_type="text/plain; charset=utf-8"
        )
    events = selectors.event_search(form.filters())
    return _ics_response(build_calendar(events, name="Indivisible Mass Coalition events (filtered)"), "imc-events.ics")


def group_calendar_ics(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    if not group_policy.can_view(request.user, group):
        raise Http404("No such group")  # an unlisted group is not revealed, not even by its name
    events = selectors.feed_events().filter(Q(host_group=group) | Q(co_hosts=group)).distinct()
    return _ics_response(build_calendar(events, name=f"{group.name} events"), f"{group.slug}.ics")


def district_calendar_ics(request: HttpRequest, slug: str) -> HttpResponse:
    district = get_object_or_404(District, slug=slug)
    events = selectors.feed_events().in_district(district)
    return _ics_response(build_calendar(events, name=f"{district.code} events"), f"{district.slug}.ics")


def member_feed(request: HttpRequest, token: str) -> HttpResponse:
    row = get_object_or_404(MemberCalendar.objects.select_related("user"), token=token)
    events = selectors.member_feed_events(row.user)
    # Only events the member is going to (a confirmed seat): ``policy.sees_address`` says yes to
    # each, so a private address is in this feed and in no public one.
    body = build_calendar(events, name="My events", include_join_url=True, include_address=True)
    return _ics_response(body, "my-events.ics")


@login_required
@require_POST
def member_feed_reset(request: HttpRequest) -> HttpResponse:
    had_one = MemberCalendar.objects.filter(user=request.user).exists()
    services.member_calendar_reset(user=request.user)
    if had_one:
        messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    else:
        messages.success(request, "Your private calendar feed is ready: add its address below to your calendar app.")
    return redirect("accounts:profile")


@login_required
@require_POST
def rsvp(request: HttpRequest, slug: str) -> HttpResponse:
    event = _visible_event(request, slug)
    form = RsvpForm(request.POST, questions=selectors.event_questions(event))

    def page_again() -> HttpResponse:
        # The answers typed stay in the form, next to what is wrong with them.
        return render(request, "events/event_detail.html", _detail_context(request, event, form), status=400)

    if not form.is_valid():
        if any(form[form.field_name(q)].errors for q in form.questions):
            return page_again()
        messages.error(request, " ".join(form.errors.get("bringing", ["Say how many people come with you."])))
        return redirect(event)
    try:
        result = services.rsvp_create(
            event=event, user=request.user, party_size=form.party_size(), answers=form.answers()
        )
    except services.RsvpClosed as exc:
        messages.error(request, str(exc))
        return redirect(event)
    except RsvpRefused as exc:
        messages.error(request, exc.messages[0])
        return redirect(event)
    except ValidationError as exc:
        form.add_error(None, exc)
        return page_again()
    if result.status == RsvpStatus.GOING:
        messages.success(request, "You're going. We've emailed you the details, and we'll remind you before it starts.")
    else:
        position = selectors.waitlist_position(result)
        messages.info(request, f"The event is full: you are number {position} on the waitlist.")
    return redirect(event)


@login_required
@require_POST
def rsvp_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    event = _visible_event(request, slug)
    mine = get_object_or_404(Rsvp, event=event, user=request.user)
    services.rsvp_cancel(rsvp=mine, by=request.user)
    messages.success(request, "Your RSVP is cancelled.")
    return redirect(request.POST.get("next") if request.POST.get("next") == "/accounts/profile/" else event)


def cant_come(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder's one-click link: GET shows a confirm button, POST cancels the RSVP."""
    found = rsvp_from_cant_come_token(token)
    if found is None:
        return render(request, "events/cant_come.html", {"invalid": True}, status=404)
    if request.method == "POST":
        # The reminder's signed link stands for the person it was sent to.
        services.rsvp_cancel_by_link(rsvp=found)
        return render(request, "events/cant_come.html", {"rsvp": found, "done": True})
    return render(request, "events/cant_come.html", {"rsvp": found, "active": found.status != RsvpStatus.CANCELLED})


@login_required
def cohost_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The invitation's page: an organizer of the invited group accepts, declines, or stops co-hosting.

    Anyone else gets a 404, so the page reveals neither the invitation nor a draft's details.
    """
    invitation = get_object_or_404(
        CoHostInvitation.objects.select_related("event__host_group", "event__town", "group"), pk=pk
    )
    if not policy.can_answer_cohost(request.user, invitation):
        raise Http404("No such invitation")
    if request.method == "POST":
        answers = {"accept": services.cohost_accept, "decline": services.cohost_decline}
        answer = answers.get(request.POST.get("answer", ""))
        if answer is None:
            messages.error(request, "Choose to accept or decline.")
        else:
            try:
                invitation = answer(invitation=invitation, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if invitation.status == CoHostStatus.ACCEPTED:
                    messages.success(request, f"{invitation.group.name} now co-hosts this event.")
                else:
                    messages.success(request, f"Done: the event stays off {invitation.group.name}'s page.")
        return redirect("events:cohost_answer", pk=pk)
    return render(request, "events/cohost_answer.html", {"invitation": invitation, "event": invitation.event})


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    if not policy.can_create_any(request.user):
        raise PermissionDenied
    form = EventForm(request.POST or None, user=request.user, creating=True, instance=Event())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.event_create(
                by=request.user,
                host_group=data.get("host_group"),
                co_hosts=data.get("co_hosts") or [],
                recurrence=data.get("recurrence") or "",
                occurrences=data.get("occurrences") or 1,
                **form.event_values(),
            )
        except PermissionDenied:
            form.add_error("host_group", "You do not organize this group.")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if len(created) > 1:
                messages.success(request, f"{len(created)} dates created as drafts. Publish each when ready.")
            else:
                messages.success(request, "Draft saved. Publish it when it is ready.")
            return redirect(created[0])
    return render(request, "events/event_form.html", {"form": form, "creating": True})


def _managed_event(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(Event.objects.select_related("host_group", "town"), slug=slug)
    if not policy.can_manage(request.user, event):
        raise Http404("No such event")  # outsiders cannot even learn that a draft exists
    return event


@login_required
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    initial = {"starts_at": event.starts_at.astimezone(MA_TZ), "ends_at": event.ends_at.astimezone(MA_TZ)}
    form = EventForm(request.POST or None, user=request.user, creating=False, instance=event, initial=initial)
    lock_form(form, origin_of(event))  # an imported event's copied fields stay as its sync wrote them
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(
                event=event, by=request.user, co_hosts=form.cleaned_data.get("co_hosts") or [], **form.event_values()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Event saved. People who RSVP'd were told of any change of time or place.")
            return redirect("events:detail", slug=slug)
    return render(request, "events/event_form.html", {"form": form, "creating": False, "event": event})


@login_required
@require_POST
def event_publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = services.event_publish(event=_managed_event(request, slug), by=request.user)
    messages.success(request, "Published: the event is on the calendar.")
    return redirect(event)


@login_required
def event_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    if request.method == "POST":
        services.event_cancel(event=event, by=request.user)
        messages.success(request, "The event is cancelled; everyone who RSVP'd has been emailed.")
        return redirect(event)
    return render(request, "events/event_cancel.html", {"event": event})


@login_required
def attendees(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    if request.method == "POST":
        ids = {int(v) for v in request.POST.getlist("attended") if v.isdigit() and len(v) < 18}
        count = services.attendance_mark(event=event, by=request.user, attended_rsvp_ids=ids)
        messages.success(request, f"Attendance saved: {count} present.")
        return redirect("events:attendees", slug=slug)
    questions, rsvps = selectors.attendees_with_answers(event)
    context = {"event": event, "rsvps": rsvps, "questions": questions, "started": timezone.now() >= event.starts_at}
    context["attendee_messages"] = attendance.message_log(event)
    return render(request, "events/attendees.html", context)


@login_required
def attendees_csv(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed_event(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.csv"'
    writer = csv_writer(response)
    questions, rsvps = selectors.attendees_with_answers(event)
    # One column per question, headed by the question (csv_writer neutralises formulas in both).
    writer.writerow(
        ["name", "email", "status", "rsvp_at", "attended", "party_size", "guest", "zip_code"]
        + [question.label for question in questions]
    )
    for row in rsvps:
        attended = "" if row.attended is None else ("yes" if row.attended else "no")
        name = row.user.get_full_name() if row.user_id else row.guest_name  # type: ignore[union-attr]
        writer.writerow(
            [
                name,
                row.recipient_email,
                row.status,
                row.status_changed_at.isoformat(),
                attended,
                row.party_size,
                "yes" if row.is_guest else "no",
                row.guest_zip,
                *row.answer_cells,  # type: ignore[attr-defined]
            ]
        )
    return response


@login_required
def event_questions(request: HttpRequest, slug: str) -> HttpResponse:
    """The questions the event asks everyone who RSVPs (at most five), for those who run it."""
    event = _managed_event(request, slug)
    questions = selectors.event_questions(event)
    formset = question_formset(questions, data=request.POST or None)
    extra = AccommodationForm(request.POST or None)
    if request.method == "POST" and formset.is_valid() and extra.is_valid():
        items = [f.item() for f in formset.forms if not f.is_blank() and not f.cleaned_data.get("DELETE")]
        try:
            services.event_questions_set(
                event=event,
                by=request.user,
                questions=items,
                add_accommodation=extra.cleaned_data["add_accommodation"],
            )
        except ValidationError as exc:
            extra.add_error(None, exc)
        else:
            messages.success(request, "Questions saved: people who RSVP now answer them.")
            return redirect("events:questions", slug=slug)
    status = 400 if request.method == "POST" else 200
    context = {
        "event": event,
        "formset": formset,
        "extra": extra,
        "has_accommodation": any(q.label == ACCOMMODATION_QUESTION["label"] for q in questions),
        "max_questions": MAX_QUESTIONS,
    }
    return render(request, "events/questions.html", context, status=status)
