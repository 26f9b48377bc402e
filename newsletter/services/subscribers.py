"""Writes about subscribers: double opt-in, one-click member subscription, unsubscribe, suppression."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from districts.models import Town
from imc.validators import require_clean_text
from newsletter import tokens
from newsletter.models import ConsentSource, Subscriber, SubscriberStatus, SuppressionReason
from outbox.services import email_queue_template

logger = logging.getLogger(__name__)


def _district_of(town: Town | None):
    return town.primary_district if town is not None else None


@transaction.atomic
def subscriber_request(
    *, email: str, name: str = "", town: Town | None = None, source: ConsentSource, ip: str | None
) -> None:
    """Somebody asked, through a form, to receive the newsletter.

    Returns nothing on purpose: the caller answers the same whether the address was new,
    pending, confirmed, unsubscribed or suppressed, so the form cannot reveal who subscribes.
    A new, pending or unsubscribed address gets a confirmation email; a confirmed one a note
    that nothing changed; a suppressed one (bounced, complained) nothing at all.
    """
    require_clean_text(Subscriber, {"name": name})
    email = email.strip().lower()
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        subscriber = Subscriber.objects.create(email=email)
    if subscriber.suppressed:
        return
    context = {"name": name or subscriber.name, "postal_address": settings.COALITION_POSTAL_ADDRESS}
    if subscriber.status == SubscriberStatus.CONFIRMED:
        context["preferences_url"] = settings.SITE_URL + reverse(
            "newsletter:preferences", args=[tokens.preferences_token(subscriber.pk)]
        )
        context["unsubscribe_url"] = settings.SITE_URL + reverse(
            "newsletter:unsubscribe", args=[tokens.unsubscribe_token(subscriber.pk)]
        )
        email_queue_template(
            kind="newsletter.already", to=email, template_prefix="newsletter/email/already", context=context
        )
        return
    subscriber.status = SubscriberStatus.PENDING
    if name:
        subscriber.name = name
    if town is not None:
        subscriber.town = town
        subscriber.district = _district_of(town)
    subscriber.consent_at = timezone.now()
    subscriber.consent_source = source
    subscriber.consent_ip = ip
    subscriber.save()
    context["confirm_url"] = settings.SITE_URL + reverse(
        "newsletter:confirm", args=[tokens.confirm_token(subscriber.pk)]
    )
    email_queue_template(
        kind="newsletter.confirm", to=email, template_prefix="newsletter/email/confirm", context=context
    )


@transaction.atomic
def subscriber_confirm(*, subscriber_id: int, ip: str | None) -> Subscriber | None:
    """The double opt-in's second step: the address owner pressed the button in the email."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.suppressed:
        return None
    if subscriber.status != SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.confirmed_ip = ip
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "confirmed_ip", "unsubscribed_at"])
    return subscriber


@transaction.atomic
def subscriber_member_subscribe(*, user: User, ip: str | None) -> Subscriber:
    """One click for a signed-in member: their address is already verified by their account."""
    subscriber = Subscriber.objects.select_for_update().filter(email=user.email.lower()).first()
    if subscriber is None:
        subscriber = Subscriber(email=user.email.lower())
    subscriber.user = user
    if not subscriber.name:
        subscriber.name = user.first_name
    if subscriber.town_id is None and user.home_town_id:
        subscriber.town = user.home_town
        subscriber.district = _district_of(user.home_town)
    if subscriber.status != SubscriberStatus.CONFIRMED and not subscriber.suppressed:
        now = timezone.now()
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.consent_at = subscriber.confirmed_at = now
        subscriber.consent_source = ConsentSource.MEMBER
        subscriber.consent_ip = subscriber.confirmed_ip = ip
        subscriber.unsubscribed_at = None
    subscriber.save()
    return subscriber


def subscriber_unsubscribe(*, subscriber_id: int, source: str = "") -> Subscriber | None:
    """Stop every later message at once, including the chunks of a send in progress.

    A single conditional update: the chunk sender reads the status right before each message.
    ``source`` (e.g. "mailto") only goes to the log: the model keeps no unsubscribe source.
    """
    updated = (
        Subscriber.objects.filter(pk=subscriber_id)
        .exclude(status=SubscriberStatus.UNSUBSCRIBED)
        .update(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    )
    if updated and source:
        logger.info("Unsubscribed subscriber %s (%s)", subscriber_id, source)
    return Subscriber.objects.filter(pk=subscriber_id).first()


@transaction.atomic
def subscriber_update_preferences(*, subscriber: Subscriber, name: str, town: Town | None) -> Subscriber:
    require_clean_text(Subscriber, {"name": name})
    subscriber.name = name
    subscriber.town = town
    subscriber.district = _district_of(town)
    subscriber.save(update_fields=["name", "town", "district"])
    return subscriber


def subscriber_suppress(*, email: str, reason: SuppressionReason, detail: str = "") -> int:
    """Never send to this address again. Returns how many subscribers matched (0 or 1)."""
    updated = Subscriber.objects.filter(email=email.strip().lower(), suppressed=False).update(
        suppressed=True, suppressed_reason=reason, suppressed_detail=detail[:300], suppressed_at=timezone.now()
    )
    if updated:
        logger.info("Suppressed %s (%s): %s", email, reason, detail)
    return updated
