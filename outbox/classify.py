"""What a mail server's or provider's answer means, and how often we try again: one answer for
both mail pipelines (the outbox's single messages and the newsletter's chunks).

- ``SUPPRESS``: the recipient address is refused for good (5xx at RCPT, a provider's "rejected" or
  "invalid"). No retry, and a bulk sender stops mailing that address.
- ``PERMANENT``: the server refused this message for good (any other 5xx: content rejected, sender
  refused). No retry; the address itself may be fine.
- ``RETRY``: a 4xx, a dropped connection, a timeout, anything unknown. Tried again, up to the
  retry policy's bound.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.db import models


class Verdict(models.TextChoices):
    RETRY = "retry", "Retry later"
    PERMANENT = "permanent", "Failed for good"
    SUPPRESS = "suppress", "Address refused for good"


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    reason: str  # the server's words, for the row's error column and a suppression's detail


def _text(reply: object) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def classify_exception(exc: Exception) -> Answer:
    """Classify what a send raised (smtplib, Django's SMTP backend, django-anymail)."""
    # smtplib reports a refused recipient (``550 No such user`` at RCPT) as SMTPRecipientsRefused,
    # which carries the codes per recipient rather than an ``smtp_code`` of its own. Every message
    # of ours has one recipient, so one 5xx among them is that recipient's refusal.
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        for code, reply in exc.recipients.values():
            if code >= 500:
                return Answer(Verdict.SUPPRESS, f"{code} {_text(reply)}"[:300])
        return Answer(Verdict.RETRY, str(exc)[:300])
    if isinstance(exc, AnymailRecipientsRefused):
        return Answer(Verdict.SUPPRESS, str(exc)[:300])
    code = getattr(exc, "smtp_code", 0) or 0
    if code >= 500:
        return Answer(Verdict.PERMANENT, f"{code} {_text(getattr(exc, 'smtp_error', exc))}"[:300])
    return Answer(Verdict.RETRY, str(exc)[:300])


def classify_provider_status(message: object, address: str) -> Answer | None:
    """A provider's verdict on one recipient of a message it accepted (django-anymail's
    ``anymail_status``): None when it took the message for that address."""
    status = getattr(message, "anymail_status", None)
    if status is None or not getattr(status, "recipients", None):
        return None
    recipient = status.recipients.get(address)
    if recipient is not None and recipient.status in ("rejected", "invalid"):
        return Answer(Verdict.SUPPRESS, f"{recipient.status} by the provider")
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often one message is tried before it is failed, and how long a retry waits."""

    max_attempts: int
    backoff_seconds: int

    def gives_up(self, *, attempts: int, verdict: Verdict = Verdict.RETRY) -> bool:
        """Whether a message that has now failed ``attempts`` times is failed for good."""
        return verdict != Verdict.RETRY or attempts >= self.max_attempts


def retry_policy() -> RetryPolicy:
    """The one retry policy of every mail path (read at call time, so tests may change it)."""
    return RetryPolicy(max_attempts=settings.MAIL_MAX_ATTEMPTS, backoff_seconds=settings.MAIL_RETRY_BACKOFF_SECONDS)
