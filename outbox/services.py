"""Writes for outgoing mail: every email is a row before it is queued."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from imc.broker import publish
from imc.validators import single_line
from outbox.models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

# A transient failure is retried by the sweeper until this many attempts, then marked failed.
MAX_ATTEMPTS = 5


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Render the subject / text / HTML trio ``<prefix>_subject.txt``, ``.txt``, ``.html``."""
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME, **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    try:
        html: str = render_to_string(f"{template_prefix}.html", context)
    except Exception:  # noqa: BLE001 - an HTML part is optional
        html = ""
    return subject, text, html


def email_queue(
    *,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> OutboundEmail:
    """Record an email that is owed, and hand it to a worker once the transaction commits."""
    email = OutboundEmail.objects.create(
        kind=kind,
        to=to,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        reply_to=reply_to,
        headers=headers or {},
        attachments=attachments or [],
    )
    transaction.on_commit(lambda: _dispatch(email.pk))
    return email


def email_queue_template(
    *, kind: str, to: str, template_prefix: str, context: dict, reply_to: str = "", headers: dict | None = None
) -> OutboundEmail:
    subject, text, html = render_email(template_prefix, context)
    return email_queue(
        kind=kind, to=to, subject=subject, body_text=text, body_html=html, reply_to=reply_to, headers=headers
    )


def _dispatch(email_id: int) -> None:
    from outbox.tasks import send

    publish(send, email_id)


def build_message(email: OutboundEmail, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        # The header boundary: whatever a flow rendered, a subject is one line (imc.validators).
        subject=single_line(email.subject),
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"X-IMC-Email-Id": str(email.pk), **email.headers},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment.get("mimetype"))
    return message


def email_claim(*, email_id: int) -> OutboundEmail | None:
    """Move one queued row to inflight. Only the caller whose update matched may send it."""
    claimed = OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
        status=EmailStatus.INFLIGHT, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def is_permanent_failure(exc: Exception) -> bool:
    """An SMTP 5xx answer means retrying cannot help; anything else (4xx, network) may pass later.

    smtplib reports a refused recipient (``550 No such user`` at RCPT) as SMTPRecipientsRefused,
    which carries the codes per recipient rather than an ``smtp_code`` of its own.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return getattr(exc, "smtp_code", 0) >= 500


def email_deliver(*, email_id: int) -> bool:
    """Claim, send and mark one email. Returns whether this call sent it."""
    email = email_claim(email_id=email_id)
    if email is None:
        return False
    try:
        build_message(email, connection=get_connection()).send()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row
        permanent = is_permanent_failure(exc) or email.attempts + 1 >= MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED if permanent else EmailStatus.QUEUED,
            attempts=email.attempts + 1,
            last_error=str(exc)[:2000],
        )
        logger.warning("Email %s failed (%s): %s", email.pk, "permanent" if permanent else "will retry", exc)
        return False
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), attempts=email.attempts + 1, last_error=""
    )
    return True


def email_sweep(*, now=None) -> int:
    """Queue again the rows a worker never took (broker away) or never finished (worker died).

    The trade-off: a row whose worker died after the server accepted the message but before it
    was marked sent is sent a second time. No mail protocol lets us do better.
    """
    now = now or timezone.now()
    stale_inflight = now - timedelta(seconds=settings.OUTBOX_INFLIGHT_TIMEOUT_SECONDS)
    OutboundEmail.objects.filter(status=EmailStatus.INFLIGHT, claimed_at__lt=stale_inflight).update(
        status=EmailStatus.QUEUED
    )
    waiting_since = now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
    ids = list(
        OutboundEmail.objects.filter(status=EmailStatus.QUEUED)
        .filter(Q(claimed_at__isnull=True, created_at__lt=waiting_since) | Q(claimed_at__lt=waiting_since))
        .values_list("pk", flat=True)[:5000]
    )
    for email_id in ids:
        _dispatch(email_id)
    return len(ids)
