"""What the newsletter gives the home and profile pages, the privacy rights and the demo data
(see ``imc.registry``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from imc.registry import Kind, contributes, register
from newsletter import demo, tokens
from newsletter.forms import SubscribeForm
from newsletter.models import ConsentSource, Newsletter, Subscriber


def _subscriber(request: HttpRequest) -> Subscriber | None:
    if not request.user.is_authenticated:
        return None
    return Subscriber.objects.select_related("district").filter(email=request.user.email.lower()).first()


@contributes(Kind.HOME_PANEL)
def home_panel(request: HttpRequest) -> SafeString:
    context = {
        "form": SubscribeForm(source=ConsentSource.HOME, prefix_id="home"),
        "subscriber": _subscriber(request),
    }
    return render_to_string("newsletter/panels/home.html", context, request=request)


@contributes(Kind.PROFILE_PANEL)
def profile_panel(request: HttpRequest) -> SafeString:
    subscriber = _subscriber(request)
    context = {
        "subscriber": subscriber,
        "preferences_token": tokens.preferences_token(subscriber.pk) if subscriber else "",
    }
    return render_to_string("newsletter/panels/profile.html", context, request=request)


def _subscriptions(user):
    """The subscriber rows of the member: linked to the account, or under one of the addresses
    they verified (an address merely added to the account may be somebody else's)."""
    from django.db.models import Q

    from accounts.selectors import user_verified_addresses

    return Subscriber.objects.filter(Q(user=user) | Q(email__in=user_verified_addresses(user)))


@contributes(Kind.EXPORT_USER_DATA)
def export_user_data(user) -> dict:
    """Every subscription under the member's verified addresses: its consent record, the requests
    made for it on the subscribe form, and the issues sent to it.

    A request still open (or voided) may have been made by somebody else for this address, since
    the form takes posts from anywhere: its details are shown, the address it was posted from is
    not, because that would be the other person's. A confirmed request's address is the consent
    record's, which the subscription shows.
    """
    from newsletter.models import Delivery, SubscriptionRequest

    subscribers = list(_subscriptions(user).select_related("town").order_by("pk"))
    requests = SubscriptionRequest.objects.filter(subscriber__in=subscribers).select_related("town").order_by("pk")
    deliveries = Delivery.objects.filter(subscriber__in=subscribers).select_related("newsletter").order_by("pk")
    return {
        "subscriptions": [
            {
                "email": subscriber.email,
                "name": subscriber.name,
                "status": subscriber.status,
                "town": subscriber.town.name if subscriber.town_id else None,
                "consent_at": subscriber.consent_at.isoformat() if subscriber.consent_at else None,
                "consent_source": subscriber.consent_source,
                "consent_ip": subscriber.consent_ip,
                "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
                "requests": [
                    {
                        "asked_at": r.created_at.isoformat(),
                        "name": r.name,
                        "town": r.town.name if r.town_id else None,
                        "source": r.source,
                        "status": r.status,
                    }
                    for r in requests
                    if r.subscriber_id == subscriber.pk
                ],
                "deliveries": [
                    {
                        "issue": d.newsletter.subject,
                        "status": d.status,
                        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                    }
                    for d in deliveries
                    if d.subscriber_id == subscriber.pk
                ],
            }
            for subscriber in subscribers
        ]
    }


@contributes(Kind.ERASE_USER_DATA)
def erase_user_data(user) -> None:
    """Deleting the account ends the subscription and forgets the address, deliveries included.

    The trade-off: a suppressed address (it bounced, or its owner complained) is forgotten too,
    so if somebody subscribes it again it is asked to confirm like any new address.
    """
    _subscriptions(user).delete()


register(Kind.DEMO_SEED, demo.seed)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list[type]:
    return [Newsletter]
