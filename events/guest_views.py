"""The guest pages: RSVP without an account, confirm it by the mailed link, manage it by link.

Kept apart from ``events.views`` (the members' pages). What a page answers never depends on
the address typed: whether it has an account or an RSVP is said only in the mail to it.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from events import guest_limit, selectors, services, tokens
from events.forms import GuestAddressForm, GuestRsvpForm
from events.models import GUEST_HOLD, Event, Rsvp, RsvpStatus
from events.rules import RsvpRefused
from imc.net import client_ip
from imc.registry import Kind, contributions

HOLD_MINUTES = int(GUEST_HOLD.total_seconds() // 60)
LIMITED = "Too many requests from here or for this address in the last hour. Please try again later."


def _public_event(slug: str) -> Event:
    event = get_object_or_404(Event.objects.select_related("host_group", "town"), slug=slug)
    if not event.is_published and not event.is_cancelled:
        raise Http404("No such event")  # a draft is not revealed to guests
    return event


@require_http_methods(["GET", "POST"])
def guest_rsvp(request: HttpRequest, slug: str) -> HttpResponse:
    event = _public_event(slug)
    now = timezone.now()
    form = GuestRsvpForm(request.POST or None, questions=selectors.event_questions(event))
    context = {"event": event, "form": form, "hold_minutes": HOLD_MINUTES, "seats_left": selectors.seats_left(event)}
    open_now = event.is_published and now < event.starts_at
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not guest_limit.allowed(email=data["email"], client=client_ip(request)):
            form.add_error(None, LIMITED)
        else:
            try:
                services.guest_rsvp_request(
                    event=event,
                    name=data["name"],
                    email=data["email"],
                    zip_code=data.get("zip_code") or "",
                    party_size=form.party_size(),
                    answers=form.answers(),
                )
            except services.RsvpClosed as exc:
                form.add_error(None, str(exc))
            except RsvpRefused as exc:
                form.add_error("bringing", exc.messages[0])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return render(request, "events/guest_sent.html", {**context, "email": data["email"]})
    status = 200 if request.method == "GET" or not form.errors else 400
    return render(request, "events/guest_rsvp.html", {**context, "rsvp_open": open_now}, status=status)


@require_http_methods(["GET", "POST"])
def guest_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links confirm nothing); POST confirms."""
    rsvp = services.guest_rsvp_from_token(token)
    if rsvp is None:
        return render(request, "events/guest_confirm.html", {"invalid": True}, status=404)
    context: dict = {"rsvp": rsvp, "event": rsvp.event, "manage_token": tokens.manage_token(rsvp.guest_email)}
    if request.method == "POST":
        try:
            rsvp = services.guest_rsvp_confirm(rsvp=rsvp)
        except services.RsvpClosed as exc:
            return render(request, "events/guest_confirm.html", {**context, "closed": str(exc)}, status=409)
        except RsvpRefused as exc:
            return render(request, "events/guest_confirm.html", {**context, "closed": exc.messages[0]}, status=409)
        context["rsvp"] = rsvp
    context["position"] = selectors.waitlist_position(rsvp)
    context["done"] = rsvp.status != RsvpStatus.PENDING
    return render(request, "events/guest_confirm.html", context)


@require_http_methods(["GET", "POST"])
def guest_manage(request: HttpRequest, token: str) -> HttpResponse:
    """A guest's RSVPs, opened by the link in any of their mails; cancel one with a click."""
    email = tokens.read_manage_token(token)
    if email is None:
        return render(request, "events/guest_manage.html", {"invalid": True, "form": GuestAddressForm()}, status=404)
    if request.method == "POST":
        pk = request.POST.get("rsvp", "")
        # Only an RSVP of this address: another guest's id is not found, whatever it is.
        mine = Rsvp.objects.of_guest(email).filter(pk=int(pk) if pk.isdigit() and len(pk) < 18 else 0).first()
        if mine is None:
            raise Http404("No such RSVP")
        services.rsvp_cancel_by_link(rsvp=mine)
    rsvps = list(
        Rsvp.objects.of_guest(email)
        .exclude(status=RsvpStatus.PENDING)
        .select_related("event__town")
        .order_by("event__starts_at")
    )
    for rsvp in rsvps:
        rsvp.position = selectors.waitlist_position(rsvp)  # type: ignore[attr-defined]
    context = {"email": email, "rsvps": rsvps, "token": token, "now": timezone.now()}
    return render(request, "events/guest_manage.html", context)


def _link_request(request: HttpRequest, purpose: str) -> HttpResponse:
    """Ask for an address and mail it the link of ``purpose``; the answer is the same for every
    address, and the guest rate limits apply."""
    form = GuestAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not guest_limit.allowed(email=email, client=client_ip(request)):
            form.add_error(None, LIMITED)
        else:
            services.guest_link_send(email=email, purpose=purpose)
            return render(request, "events/guest_link_sent.html", {"email": email})
    return render(request, "events/guest_link_request.html", {"form": form, "purpose": purpose})


@require_http_methods(["GET", "POST"])
def guest_link_request(request: HttpRequest) -> HttpResponse:
    """Mail an address its "manage my RSVPs" link."""
    return _link_request(request, "manage")


@require_http_methods(["GET", "POST"])
def guest_data_request(request: HttpRequest) -> HttpResponse:
    """Mail an address the link to download or erase what the portal holds under it."""
    return _link_request(request, "data")


@require_http_methods(["GET", "POST"])
def guest_data(request: HttpRequest, token: str) -> HttpResponse:
    """The data link: download (JSON) or erase what the apps hold under an address that is no
    account's (``Kind.EXPORT_ADDRESS_DATA`` / ``Kind.ERASE_ADDRESS_DATA``: guest RSVPs here)."""
    email = tokens.read_data_token(token)
    if email is None:
        return render(request, "events/guest_data.html", {"invalid": True}, status=404)
    action = request.POST.get("action") if request.method == "POST" else request.GET.get("download")
    if action == "erase":
        with transaction.atomic():
            for contribution in contributions(Kind.ERASE_ADDRESS_DATA):
                contribution.function(email)
        return render(request, "events/guest_data.html", {"erased": True, "email": email})
    if request.method == "GET" and action is not None:
        data = {
            "exported_at": timezone.now().isoformat(),
            "email": email,
            **{c.app_label: c.function(email) for c in contributions(Kind.EXPORT_ADDRESS_DATA)},
        }
        body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="my-guest-data.json"'
        return response
    return render(request, "events/guest_data.html", {"email": email, "token": token})
