"""The mailto: of ``List-Unsubscribe``: a mail program's "unsubscribe" email, acted on.

Every issue offers ``mailto:NEWSLETTER_UNSUBSCRIBE_MAILTO?subject=unsubscribe%20<token>``. The
reply reaches us through the email service's inbound webhook (``newsletter.receivers``) or the
``process_unsubscribe_mail`` command; both call :func:`unsubscribe_by_mail`. The signed token is
the proof, exactly as for the https link; anything else is ignored (logged at info), never raised.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from email.message import Message
from email.utils import getaddresses
from enum import StrEnum
from urllib.parse import unquote

from django.conf import settings

from newsletter import services, tokens
from newsletter.models import Subscriber, SubscriberStatus

logger = logging.getLogger(__name__)

# "unsubscribe <token>" anywhere in the subject: "Re: ", case and spacing do not matter.
_REQUEST = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)
# Where a message's recipients can be read (the envelope recipient, when the service gives it, too).
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


class Outcome(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    ALREADY = "already unsubscribed"
    IGNORED = "ignored"


def recipients_of(message: Message) -> list[str]:
    """Every address the message was sent to, lowercased; tolerant of malformed headers."""
    values: list[str] = []
    for header in _RECIPIENT_HEADERS:
        values.extend(str(value) for value in message.get_all(header) or [])
    envelope = getattr(message, "envelope_recipient", None)  # AnymailInboundMessage, some services
    if envelope:
        values.append(str(envelope))
    return [address.strip().lower() for _, address in getaddresses(values) if address.strip()]


def unsubscribe_by_mail(*, recipients: Iterable[str], subject: str | None) -> Outcome:
    """Unsubscribe the subscriber whose token is in the subject of a mail to the unsubscribe address."""
    address = settings.NEWSLETTER_UNSUBSCRIBE_MAILTO.strip().lower()
    recipients = [r.strip().lower() for r in recipients]
    if address not in recipients:
        logger.info("Inbound mail ignored: not addressed to %s (to %s)", address, ", ".join(recipients) or "nobody")
        return Outcome.IGNORED
    # A mail program decodes the mailto's %20; one that does not leaves "unsubscribe%20<token>".
    text = " ".join(unquote(subject or "").split())
    for candidate in _REQUEST.findall(text):
        subscriber_id = tokens.read_unsubscribe_token(candidate.strip("<>\"'.,;()[]"))
        if subscriber_id is None:
            continue
        before = Subscriber.objects.filter(pk=subscriber_id).values_list("status", flat=True).first()
        if before is None:
            logger.info("Unsubscribe mail ignored: subscriber %s no longer exists", subscriber_id)
            return Outcome.IGNORED
        services.subscriber_unsubscribe(subscriber_id=subscriber_id, source="mailto")
        return Outcome.ALREADY if before == SubscriberStatus.UNSUBSCRIBED else Outcome.UNSUBSCRIBED
    logger.info("Unsubscribe mail ignored: no valid token in the subject %r", (subject or "")[:200])
    return Outcome.IGNORED


def unsubscribe_by_message(message: Message) -> Outcome:
    """:func:`unsubscribe_by_mail` for a parsed email message."""
    return unsubscribe_by_mail(recipients=recipients_of(message), subject=message.get("Subject"))
