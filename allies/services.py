"""Writes of the allies app: the relay to an ally's contact, and co-hosting an event.

The relay is the groups' relay for an organization outside the portal: the message goes out
through the outbox with the sender's address as Reply-To, so the ally's address is never shown,
and it is rate limited per sender and per client address (``imc.hourly_limit``, nothing stored
but the outbox row itself).
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from allies.models import Ally, AllyCohost
from districts.policy import is_coordinator
from events.models import Event
from imc import hourly_limit
from imc.validators import require_clean_text
from outbox.models import OutboundEmail
from outbox.services import email_queue_template

WRITES_PER_SENDER_PER_HOUR = 3
WRITES_PER_CLIENT_PER_HOUR = 10
BODY_MAX_LENGTH = 5000
RELAY_KIND = "allies.relay"


class AllyError(Exception):
    """A write the rules refuse; the message is safe to show."""


class RateLimited(AllyError):
    pass


@transaction.atomic
def ally_write(*, ally: Ally, sender_name: str, sender_email: str, body: str, client: str | None) -> OutboundEmail:
    """Pass a message to a public ally's contact; the reply goes to the sender."""
    if not ally.is_public:
        raise AllyError("This organization cannot be written to here.")
    if not ally.contact_email:
        raise AllyError("This organization has no contact through the coalition right now.")
    if not sender_name.strip() or not body.strip():
        raise AllyError("Write your name and a message.")
    if len(body) > BODY_MAX_LENGTH:
        raise AllyError(f"Keep the message under {BODY_MAX_LENGTH} characters.")
    require_clean_text(Ally, {"name": sender_name})
    # The client first, so a client over its limit does not use up the sender's address.
    if client and not hourly_limit.hit("allies:write:client", client, WRITES_PER_CLIENT_PER_HOUR):
        raise RateLimited("Too many messages were sent from your network in the last hour. Please try later.")
    if not hourly_limit.hit("allies:write:sender", sender_email, WRITES_PER_SENDER_PER_HOUR):
        raise RateLimited("You have sent several messages in the last hour. Please try again later.")
    return email_queue_template(
        kind=RELAY_KIND,
        to=ally.contact_email,
        template_prefix="allies/emails/relay",
        context={"ally": ally, "sender_name": sender_name.strip(), "body": body.strip()},
        reply_to=sender_email.strip(),
    )


def can_cohost(user: User) -> bool:
    """Who names an ally as co-host of an event: coordinators, who keep the list of allies
    (an ally named on a group's event speaks for the coalition's relationship with it)."""
    return is_coordinator(user)


@transaction.atomic
def cohost_add(*, by: User, ally: Ally, event: Event) -> AllyCohost:
    if not can_cohost(by):
        raise AllyError("Only a coordinator names an ally as co-host.")
    cohost, _ = AllyCohost.objects.get_or_create(ally=ally, event=event)
    return cohost
