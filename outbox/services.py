"""Writes for outgoing mail: every single email (transactional mail, notices, reminders) is a row
before it is queued.

One message at a time (``email_queue``: a password reset, a notice) or a batch written in one
transaction and delivered by one worker over one SMTP connection (``email_queue(dispatch=False)``
then ``emails_queue_batch``: a reminder tick). Either way each row is claimed on its own, a failure is
read by ``outbox.classify`` and retried by its one policy, and the sweeper recovers what the
broker lost or a killed worker left in flight. The newsletter's bulk path is the other pipeline
(``newsletter.services.chunks``), sharing the same classifier and policy.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from imc.broker import publish
from imc.links import site_hostname
from imc.validators import single_line
from outbox.classify import classify_exception, retry_policy
from outbox.models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Render the subject / text / HTML trio ``<prefix>_subject.txt``, ``.txt``, ``.html``.

    An HTML part extends ``outbox/email_base.html``, which makes it a whole document titled by
    the subject (``mail_subject``)."""
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME, **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    try:
        html: str = render_to_string(f"{template_prefix}.html", {"mail_subject": subject, **context})
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
    dispatch: bool = True,
) -> OutboundEmail:
    """Record an email that is owed, and hand it to a worker once the transaction commits.

    ``dispatch=False`` only records it: for a caller that writes many in one transaction and
    hands them to one worker with ``emails_queue_batch``.
    """
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
    if dispatch:
        transaction.on_commit(lambda: _dispatch(email.pk))
    return email


def emails_queue_batch(*, email_ids: list[int]) -> None:
    """Hand rows written in this transaction to one worker, over one connection, after commit.
    With the broker away they stay queued and the sweeper hands them out one by one."""
    from outbox.tasks import send_batch

    if email_ids:
        transaction.on_commit(lambda: publish(send_batch, list(email_ids)))


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


def message_id(email: OutboundEmail) -> str:
    """The row's Message-ID, in SITE_URL's domain (Django's default names the machine, here
    ``localhost``). The same on every attempt: a message sent again after a worker died (the
    sweeper's trade-off) is recognisably the same message to the receiving side."""
    return f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S%f}@{site_hostname()}>"


def build_message(email: OutboundEmail, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        # The header boundary: whatever a flow rendered, a subject is one line (imc.validators).
        subject=single_line(email.subject),
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={
            "Message-ID": message_id(email),
            # RFC 3834: written by the portal, not a person, so no vacation reply is owed to it.
            "Auto-Submitted": "auto-generated",
            "X-IMC-Email-Id": str(email.pk),
            **email.headers,
        },
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


def email_deliver(*, email_id: int, connection=None) -> bool:
    """Claim, send and mark one email. Returns whether this call sent it.

    ``connection``, if given, is a batch's open connection (see ``emails_deliver_batch``).
    """
    email = email_claim(email_id=email_id)
    if email is None:
        return False
    try:
        build_message(email, connection=connection or get_connection()).send()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row
        answer = classify_exception(exc)
        permanent = retry_policy().gives_up(attempts=email.attempts + 1, verdict=answer.verdict)
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


def emails_deliver_batch(*, email_ids: list[int]) -> int:
    """A worker's batch (the reminders of one tick): one SMTP connection, each row claimed and
    marked on its own, so a batch cut short by a killed worker repeats at most its message in
    flight. Returns how many this call sent."""
    connection = get_connection()
    sent = 0
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - each send below then fails and records it on its row
        logger.warning("SMTP connection failed; the batch's emails will be retried")
    try:
        for email_id in email_ids:
            sent += email_deliver(email_id=email_id, connection=connection)
    finally:
        # Closing a broken connection is not an error worth raising.
        with contextlib.suppress(Exception):
            connection.close()
    return sent


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
    # A row that failed and waits for its retry was last claimed when it was last tried.
    retry_since = now - timedelta(seconds=retry_policy().backoff_seconds)
    ids = list(
        OutboundEmail.objects.filter(status=EmailStatus.QUEUED)
        .filter(Q(claimed_at__isnull=True, created_at__lt=waiting_since) | Q(claimed_at__lt=retry_since))
        .values_list("pk", flat=True)[:5000]
    )
    for email_id in ids:
        _dispatch(email_id)
    return len(ids)
