"""Writes about subscribers: double opt-in, one-click member subscription, unsubscribe, suppression."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from districts.models import Town
from imc.validators import require_clean_text
from newsletter import tokens
from newsletter.models import (
    ConsentSource,
    Subscriber,
    SubscriberStatus,
    SubscriptionRequest,
    SubscriptionRequestStatus,
    SuppressionReason,
)
from outbox.services import email_queue_template

logger = logging.getLogger(__name__)


def _district_of(town: Town | None):
    return town.primary_district if town is not None else None


@transaction.atomic
def subscriber_request(
    *, email: str, name: str = "", town: Town | None = None, source: ConsentSource, ip: str | None
) -> None:
    """Somebody asked, through a form, to receive the newsletter.

    The form is CSRF-exempt, so "somebody" may be any page the visitor opened: this only asks.
    It never changes a subscriber (an address new to us gets a row holding nothing but itself);
    what was asked for waits in a SubscriptionRequest until the address's owner confirms it
    through the link mailed to them (``subscriber_confirm``).

    Returns nothing on purpose: the caller answers the same whether the address was new,
    pending, confirmed, unsubscribed or suppressed, so the form cannot reveal who subscribes.
    A new, pending or unsubscribed address gets a confirmation email; a confirmed one a note
    that nothing changed; a suppressed one (bounced, complained) nothing at all.
    """
    require_clean_text(Subscriber, {"name": name})
    email = email.strip().lower()
    # get_or_create: two first requests for one address at once must not collide on its unique email.
    subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email)
    if subscriber.suppressed:
        return
    # The stored name, never the one just typed: a forger's text must not speak in our mail.
    context = {"name": subscriber.name, "postal_address": settings.COALITION_POSTAL_ADDRESS}
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
    now = timezone.now()
    # Requests whose links have expired can confirm nothing; they only kept what was asked.
    subscriber.requests.filter(created_at__lt=now - timedelta(seconds=tokens.CONFIRM_MAX_AGE_SECONDS)).delete()
    pending = SubscriptionRequest.objects.create(
        subscriber=subscriber, name=name, town=town, source=source, ip=ip, created_at=now
    )
    context["confirm_url"] = settings.SITE_URL + reverse("newsletter:confirm", args=[tokens.confirm_token(pending.pk)])
    email_queue_template(
        kind="newsletter.confirm", to=email, template_prefix="newsletter/email/confirm", context=context
    )


@transaction.atomic
def subscription_requests_purge(*, now=None) -> dict[str, int]:
    """Forget what can no longer be confirmed (the daily beat task).

    A request outlives its link by nothing: once ``tokens.CONFIRM_MAX_AGE_SECONDS`` have passed
    it can confirm nothing, and it holds a name, a town and an address that somebody typed. An
    address that was never confirmed (pending, no account, never suppressed, no delivery) and has
    no request left is nobody's consent, often a stranger's typing: it goes too. Confirmed and
    unsubscribed subscribers keep their consent record; a suppressed address stays suppressed.
    """
    now = now or timezone.now()
    expired = now - timedelta(seconds=tokens.CONFIRM_MAX_AGE_SECONDS)
    requests, _ = SubscriptionRequest.objects.filter(created_at__lt=expired).delete()
    never_confirmed = Subscriber.objects.filter(
        status=SubscriberStatus.PENDING,
        user__isnull=True,
        suppressed=False,
        created_at__lt=expired,
        requests__isnull=True,
        deliveries__isnull=True,
    )
    subscribers, _ = Subscriber.objects.filter(pk__in=list(never_confirmed.values_list("pk", flat=True))).delete()
    return {"requests": requests, "subscribers": subscribers}


def subscription_request_for_link(*, request_id: int | None) -> SubscriptionRequest | None:
    """The request a confirmation link names, if that link may still confirm it."""
    if request_id is None:
        return None
    pending = SubscriptionRequest.objects.select_related("subscriber", "town").filter(pk=request_id).first()
    return pending if pending is not None and pending.confirmable() else None


@transaction.atomic
def subscriber_confirm(*, request_id: int, ip: str | None) -> Subscriber | None:
    """The double opt-in's second step: the address's owner pressed the button of one request's link.

    The subscriber gets exactly what that request holds: its name and town where it gave them,
    and its consent record (when, through which form, from which address it was asked). Returns
    None, changing nothing, when the link can no longer confirm (``SubscriptionRequest.confirmable``):
    it was used, another request was confirmed, the address unsubscribed since, or it is suppressed.
    """
    subscriber_id = SubscriptionRequest.objects.filter(pk=request_id).values_list("subscriber_id", flat=True).first()
    # The subscriber's row first, as the form and the unsubscribe take it: one order, no deadlock.
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()  # type: ignore[misc]
    pending = SubscriptionRequest.objects.select_for_update().filter(pk=request_id).first()
    if subscriber is None or pending is None:
        return None
    pending.subscriber = subscriber  # the copy read under the lock
    if not pending.confirmable():
        return None
    now = timezone.now()
    if pending.name:
        subscriber.name = pending.name
    if pending.town_id is not None:
        subscriber.town = pending.town
        subscriber.district = _district_of(pending.town)
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.consent_at = pending.created_at
    subscriber.consent_source = pending.source
    subscriber.consent_ip = pending.ip
    subscriber.confirmed_at = now
    subscriber.confirmed_ip = ip
    subscriber.unsubscribed_at = None
    subscriber.save()
    pending.status = SubscriptionRequestStatus.CONFIRMED
    pending.closed_at = now
    pending.save(update_fields=["status", "closed_at"])
    # The other open requests asked for the same thing; their links must not rewrite it later.
    subscriber.requests.filter(status=SubscriptionRequestStatus.OPEN).update(
        status=SubscriptionRequestStatus.VOID, closed_at=now
    )
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
    Every confirmation link mailed before dies with it, even when the address was unsubscribed
    already (a request asked since then must not outlive this "stop").
    ``source`` (e.g. "mailto") only goes to the log: the model keeps no unsubscribe source.
    """
    now = timezone.now()
    with transaction.atomic():
        updated = (
            Subscriber.objects.filter(pk=subscriber_id)
            .exclude(status=SubscriberStatus.UNSUBSCRIBED)
            .update(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=now)
        )
        SubscriptionRequest.objects.filter(subscriber_id=subscriber_id, status=SubscriptionRequestStatus.OPEN).update(
            status=SubscriptionRequestStatus.VOID, closed_at=now
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
