"""Sending an issue: delivery rows first, then chunks of a few hundred over one connection each.

What is done is recorded in PostgreSQL, never inferred from the broker:

1. ``newsletter_send_now`` moves the issue to "sending" and queues ``prepare``.
2. ``newsletter_prepare`` reads the audience in keyset batches and writes one ``Delivery`` per
   recipient (unique on issue and subscriber) and one ``SendChunk`` per few hundred of them.
   Only when every row exists does it queue the chunks: nothing leaves before that.
3. ``chunk_send`` claims a chunk with a conditional update that hands it a new fencing token
   and a lease, renders the issue once, and for each pending delivery re-reads whether the
   subscriber still receives mail, waits for the global rate limiter, renews its lease and
   marks the delivery in flight (both conditional: on its token, on the delivery still being
   pending), sends over one connection and marks the delivery sent at once. A worker whose
   token is outdated (it stalled past its lease and the chunk was handed on) stops before its
   next message; a delivery another worker has in flight is never sent.
4. ``newsletter_sweep`` (beat) starts scheduled issues, queues again the chunks whose lease
   expired (their worker died or stalled) or whose task the broker lost, and closes finished
   sends. A chunk that keeps failing, or a message that cannot be built, ends the send in the
   FAILED state with its reason, instead of a loop.

The trade-off we accept: a worker killed (or stalled for longer than
``NEWSLETTER_DELIVERY_INFLIGHT_SECONDS``) after the server accepted a message but before the row
was marked sends that one message again. No mail protocol lets us do better.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
import unicodedata
from datetime import timedelta
from email.errors import MessageError
from email.utils import formatdate
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from accounts.models import User
from imc import pagecache
from newsletter import rendering, selectors, tokens
from newsletter.models import (
    ChunkStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
    SuppressionReason,
)
from newsletter.ratelimit import rate_limiter
from newsletter.services.subscribers import subscriber_suppress
from newsletter.smtp import SmtpSession, plain_address
from outbox.services import email_queue

logger = logging.getLogger(__name__)

# Deliveries whose status is re-read together right before they are sent.
STATUS_BATCH = 25
MAX_ATTEMPTS = 3


class NotAllowed(ValueError):
    """The issue is not in a state that allows this action."""


class NotSendable(NotAllowed):
    """The issue itself cannot go out as it is (its subject would break the message's headers)."""


class SendFailed(Exception):
    """A problem no retry can fix: the whole send stops in the FAILED state with this reason."""


class LeaseLost(Exception):
    """The chunk was handed to another worker: this one must not send another message for it."""


# What building a message raises when its content cannot make a message (a header with a line
# break, an unencodable part): it would fail the same way on every retry.
_BUILD_ERRORS = (ValueError, TypeError, LookupError, MessageError)
_LINE_SEPARATORS = ("\u2028", "\u2029")


def subject_problem(subject: str) -> str | None:
    """Why this subject cannot be a mail header, or None. A line break in a header would end it
    (or inject others), so Django refuses to build such a message at all."""
    if any(unicodedata.category(char) == "Cc" or char in _LINE_SEPARATORS for char in subject):
        return "The subject contains a line break or another control character; remove it and save the issue."
    return None


def _check_sendable(newsletter: Newsletter) -> None:
    problem = subject_problem(newsletter.subject)
    if problem is not None:
        raise NotSendable(problem)


def _fail_send(newsletter_id: int, reason: str, *, from_status: tuple[str, ...] = (NewsletterStatus.SENDING,)) -> bool:
    """Stop a send for good, visibly: workers see the status at their next check and stop."""
    changed = Newsletter.objects.filter(pk=newsletter_id, status__in=from_status).update(
        status=NewsletterStatus.FAILED, failure_reason=reason[:500]
    )
    if changed:
        logger.error("Newsletter %s failed: %s", newsletter_id, reason)
    return bool(changed)


def _transition(newsletter: Newsletter, allowed_from: tuple[str, ...], to: str, **fields: object) -> Newsletter:
    """A conditional update: two coordinators pressing buttons at once cannot both win."""
    changed = Newsletter.objects.filter(pk=newsletter.pk, status__in=allowed_from).update(status=to, **fields)
    if changed:
        pagecache.invalidate()  # the archive and the home page list sent issues
    newsletter.refresh_from_db()
    if not changed:
        raise NotAllowed(f"This issue is {newsletter.get_status_display().lower()}; that is not possible now.")
    return newsletter


# --- building messages ------------------------------------------------------------------------


def build_message(
    issue: rendering.RenderedIssue,
    *,
    to: str,
    name: str,
    subscriber_id: int | None,
    events: tuple[str, str] = ("", ""),
    connection=None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    html, text = issue.personalise(name=name, subscriber_id=subscriber_id, events_html=events[0], events_text=events[1])
    message = EmailMultiAlternatives(
        subject=issue.subject,
        body=text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
        headers={**rendering.list_headers(subscriber_id), **(extra_headers or {})},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


class _RawMessage:
    """What Django's SMTP backend asks of a message: its bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data


class PrerenderedEmail(EmailMultiAlternatives):
    """A recipient's message whose MIME bytes were personalised from the chunk's template."""

    raw: bytes = b""
    envelope_from: str = ""

    def message(self, *args, **kwargs) -> _RawMessage:
        return _RawMessage(self.raw)

    def send(self, fail_silently: bool = False) -> int:
        """Straight onto the SMTP connection, as the backend's ``_send`` would do."""
        backend = self.get_connection()
        if backend.connection is None:
            backend.open()
        SmtpSession(backend.connection, self.envelope_from).send(self.to[0], self.raw)
        return 1


# Placeholders of the chunk's MIME template that differ between the two parts or live in headers.
_TO = "imcphto@placeholder.invalid"
_TEXT_NAME, _TEXT_EVENTS = "IMCPHTEXTNAME", "IMCPHTEXTEVENTS"
_TOKEN, _MSGID, _DATE, _DELIVERY = "IMCPHTOKEN", "IMCPHMSGID", "IMCPHDATE", "IMCPHDELIVERY"


_MARK = "newsletter_delivery_mark"


class ChunkMessages:
    """Makes each recipient's message of one chunk.

    With Django's SMTP backend, the chunk's message is serialised to MIME once, with
    placeholders, and each recipient's copy is made by byte replacement: the email package's
    serialisation costs more than the SMTP exchange itself. Every other backend (django-anymail
    providers, the test backends) gets an ordinary message per recipient.
    """

    def __init__(self, issue: rendering.RenderedIssue, newsletter_id: int, connection) -> None:
        from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

        self.issue = issue
        self.newsletter_id = newsletter_id
        self.connection = connection
        self.domain = settings.NEWSLETTER_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
        self.template = None
        self.session: SmtpSession | None = None
        self.prepared_mark = False
        # PostgreSQL's prepared statements of this claim (named per claim, so that no two chunk
        # sends on one connection, as in a test that runs a takeover in-process, share one).
        self.mark_statement = self.take_statement = ""
        # The claim this factory sends for: every message first renews its lease.
        self.chunk_id = 0
        self.token = 0
        self.envelope_from = sanitize_address(settings.NEWSLETTER_FROM_EMAIL, settings.DEFAULT_CHARSET)
        if isinstance(connection, SmtpBackend):
            self.template = self._template()

    def _template(self) -> bytes | None:
        text = self.issue.text.replace(rendering.NAME, _TEXT_NAME).replace(rendering.EVENTS, _TEXT_EVENTS)
        headers = rendering.list_headers(None, unsubscribe_url=rendering.UNSUBSCRIBE_URL, token=_TOKEN)
        headers.update({"Message-ID": f"<{_MSGID}>", "Date": _DATE, "X-IMC-Delivery": _DELIVERY})
        message = EmailMultiAlternatives(
            subject=self.issue.subject, body=text, from_email=settings.NEWSLETTER_FROM_EMAIL, to=[_TO], headers=headers
        )
        message.attach_alternative(self.issue.html, "text/html")
        raw = message.message().as_bytes(linesep="\r\n")
        # Byte replacement is only sound for 8bit parts without long lines (nothing encoded).
        if raw.count(b"Content-Transfer-Encoding: 8bit") != 2 or max(map(len, raw.split(b"\r\n"))) > 900:
            logger.info("Newsletter %s: MIME template not usable, building each message", self.newsletter_id)
            return None
        return raw

    def prerendered(self, to: str) -> bool:
        """Whether this recipient's copy is made from the template (and may be pipelined)."""
        return self.template is not None and plain_address(to)

    def send(self, message: EmailMultiAlternatives, next_to: str | None) -> None:
        """Send one message; with the template, over the chunk's pipelined SMTP session,
        opening the next recipient's envelope in the same round trip."""
        if not isinstance(message, PrerenderedEmail):
            message.send()
            return
        if self.connection.connection is None:
            self.connection.open()
            self.session = None
        if self.session is None or self.session.smtp is not self.connection.connection:
            self.session = SmtpSession(self.connection.connection, self.envelope_from)
        lookahead = next_to if next_to is not None and self.prerendered(next_to) else None
        self.session.send(message.to[0], message.raw, lookahead)

    def abandon(self) -> None:
        """Drop a connection left inside a message's data (after an error), without QUIT:
        the server discards the unfinished message, and QUIT would only be read as data."""
        if self.session is not None and self.session.open_for is not None:
            self.session.smtp.close()
            self.connection.connection = None
        self.session = None

    def make(self, *, to: str, name: str, subscriber_id: int, delivery_id: int, events: tuple[str, str]):
        name = " ".join((name or "").split())
        if not self.prerendered(to):
            message = build_message(
                self.issue,
                to=to,
                name=name,
                subscriber_id=subscriber_id,
                events=events,
                connection=self.connection,
                extra_headers={"X-IMC-Delivery": str(delivery_id)},
            )
            message.metadata = {"delivery_id": str(delivery_id)}
            return message
        token = tokens.unsubscribe_token(subscriber_id)
        unsubscribe, preferences = rendering.personal_urls(subscriber_id)
        replacements = (
            (_TO, to),
            (rendering.UNSUBSCRIBE_URL, unsubscribe),
            (rendering.PREFERENCES_URL, preferences),
            (_TOKEN, quote(token)),
            (rendering.NAME, escape(name) if name else "there"),
            (_TEXT_NAME, name or "there"),
            (rendering.EVENTS, events[0]),
            (_TEXT_EVENTS, events[1]),
            (_MSGID, f"nl{self.newsletter_id}.{delivery_id}.{secrets.token_hex(6)}@{self.domain}"),
            (_DATE, formatdate(localtime=True)),
            (_DELIVERY, str(delivery_id)),
        )
        raw = self.template
        for placeholder, value in replacements:
            raw = raw.replace(placeholder.encode(), value.replace("\r", "").replace("\n", "\r\n").encode())
        message = PrerenderedEmail(
            subject=self.issue.subject, from_email=settings.NEWSLETTER_FROM_EMAIL, to=[to], connection=self.connection
        )
        message.raw = raw
        message.envelope_from = self.envelope_from
        return message


def newsletter_send_test(*, newsletter: Newsletter, to_user: User) -> None:
    """One copy to the coordinator, through the outbox like any other owed email."""
    _check_sendable(newsletter)
    issue = rendering.render_issue(newsletter)
    subscriber = Subscriber.objects.filter(email=to_user.email.lower()).first()
    subscriber_id = subscriber.pk if subscriber else None
    events = _events_for(newsletter, subscriber.district_id if subscriber else None, {})
    html, text = issue.personalise(
        name=to_user.first_name, subscriber_id=subscriber_id, events_html=events[0], events_text=events[1]
    )
    with transaction.atomic():
        email_queue(
            kind="newsletter.test",
            to=to_user.email,
            subject=f"[TEST] {issue.subject}",
            body_text=text,
            body_html=html,
            headers=rendering.list_headers(subscriber_id),
        )


def _events_for(newsletter: Newsletter, district_id: int | None, cache: dict) -> tuple[str, str]:
    if not newsletter.include_events or district_id is None:
        return "", ""
    if district_id not in cache:
        cache[district_id] = rendering.render_events_block(selectors.upcoming_events(district_id))
    return cache[district_id]


# --- coordinator actions ------------------------------------------------------------------------


def newsletter_schedule(*, newsletter: Newsletter, when) -> Newsletter:
    if when <= timezone.now():
        raise NotAllowed("The send time must be in the future.")
    _check_sendable(newsletter)
    return _transition(
        newsletter, (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED), NewsletterStatus.SCHEDULED, scheduled_at=when
    )


def newsletter_unschedule(*, newsletter: Newsletter) -> Newsletter:
    return _transition(newsletter, (NewsletterStatus.SCHEDULED,), NewsletterStatus.DRAFT, scheduled_at=None)


def newsletter_send_now(*, newsletter: Newsletter) -> Newsletter:
    _check_sendable(newsletter)
    with transaction.atomic():
        newsletter = _transition(
            newsletter,
            (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED),
            NewsletterStatus.SENDING,
            started_at=timezone.now(),
        )
        transaction.on_commit(lambda: _queue_prepare(newsletter.pk))
    return newsletter


def newsletter_pause(*, newsletter: Newsletter) -> Newsletter:
    """Workers stop before their next message; their chunks wait, queued, for a resume."""
    return _transition(newsletter, (NewsletterStatus.SENDING,), NewsletterStatus.PAUSED)


def newsletter_resume(*, newsletter: Newsletter) -> Newsletter:
    """Go on with a paused send, or try a failed one again (its chunks' failures start over)."""
    _check_sendable(newsletter)
    with transaction.atomic():
        failed = newsletter.status == NewsletterStatus.FAILED
        newsletter = _transition(
            newsletter, (NewsletterStatus.PAUSED, NewsletterStatus.FAILED), NewsletterStatus.SENDING, failure_reason=""
        )
        if failed:
            SendChunk.objects.filter(newsletter=newsletter).exclude(status=ChunkStatus.DONE).update(failures=0)
        if newsletter.prepared:
            transaction.on_commit(lambda: _queue_chunks(newsletter.pk))
        else:
            transaction.on_commit(lambda: _queue_prepare(newsletter.pk))
    return newsletter


def newsletter_cancel(*, newsletter: Newsletter) -> Newsletter:
    """Nothing more leaves; what was sent stays sent, the rest stays pending in the report."""
    newsletter = _transition(
        newsletter,
        (NewsletterStatus.SCHEDULED, NewsletterStatus.SENDING, NewsletterStatus.PAUSED, NewsletterStatus.FAILED),
        NewsletterStatus.CANCELLED,
    )
    # A worker in the middle of a chunk stops at its next status check and puts it back;
    # chunks of a cancelled issue are never handed out again.
    return newsletter


# --- preparing the send ------------------------------------------------------------------------


def _queue_prepare(newsletter_id: int) -> None:
    from newsletter.tasks import prepare

    try:
        prepare.delay(newsletter_id)
    except Exception:  # noqa: BLE001 - broker away: the sweeper queues it again
        logger.warning("Broker unavailable; newsletter %s waits for the sweeper", newsletter_id)


def newsletter_prepare(*, newsletter_id: int) -> int:
    """Write every delivery row of the send, in keyset batches; then queue the chunks.

    Safe to run again after a crash, or twice at once: each batch runs under a lock on the issue
    and continues after the last subscriber already written.
    """
    chunk_size = settings.NEWSLETTER_CHUNK_SIZE
    batch_size = chunk_size * 20
    while True:
        with transaction.atomic():
            newsletter = Newsletter.objects.select_for_update().filter(pk=newsletter_id).first()
            if newsletter is None or newsletter.prepared or newsletter.status != NewsletterStatus.SENDING:
                return 0
            done = Delivery.objects.filter(newsletter=newsletter).aggregate(
                last=Max("subscriber_id"), chunk=Max("chunk")
            )
            last = done["last"] or 0
            next_chunk = 0 if done["chunk"] is None else done["chunk"] + 1
            ids = list(
                selectors.audience(newsletter)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                total = Delivery.objects.filter(newsletter=newsletter).count()
                Newsletter.objects.filter(pk=newsletter.pk).update(prepared=True, recipient_count=total)
                transaction.on_commit(lambda: _queue_chunks(newsletter_id))
                return total
            _write_deliveries(newsletter_id, ids, first_chunk=next_chunk, chunk_size=chunk_size)
            now = timezone.now()
            SendChunk.objects.bulk_create(
                [
                    SendChunk(
                        newsletter_id=newsletter_id,
                        number=next_chunk + n,
                        size=len(ids[start : start + chunk_size]),
                        queued_at=now,
                    )
                    for n, start in enumerate(range(0, len(ids), chunk_size))
                ]
            )


def _write_deliveries(newsletter_id: int, subscriber_ids: list[int], *, first_chunk: int, chunk_size: int) -> None:
    """One pending delivery per subscriber id, numbered into chunks of ``chunk_size`` in order."""
    if db_connection.vendor == "postgresql":
        # One statement per batch instead of thousands of model instances: a million rows in
        # seconds rather than minutes.
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Delivery._meta.db_table} (newsletter_id, subscriber_id, chunk, status, attempts, "
                "error, bounced, provider_message_id) "
                "SELECT %s, s.id, %s + (s.n - 1) / %s, %s, 0, '', false, '' "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS s(id, n) "
                "ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING",
                [newsletter_id, first_chunk, chunk_size, DeliveryStatus.PENDING.value, subscriber_ids],
            )
        return
    Delivery.objects.bulk_create(
        [
            Delivery(newsletter_id=newsletter_id, subscriber_id=sid, chunk=first_chunk + n // chunk_size)
            for n, sid in enumerate(subscriber_ids)
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


def _queue_chunks(newsletter_id: int) -> int:
    """Hand every queued chunk of a sending issue to the workers."""
    from newsletter.tasks import send_chunk

    if not Newsletter.objects.filter(pk=newsletter_id, status=NewsletterStatus.SENDING).exists():
        return 0
    ids = list(
        SendChunk.objects.filter(newsletter_id=newsletter_id, status=ChunkStatus.QUEUED)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    SendChunk.objects.filter(pk__in=ids).update(queued_at=timezone.now())
    try:
        for chunk_id in ids:
            send_chunk.delay(chunk_id)
    except Exception:  # noqa: BLE001 - broker away: the sweeper queues them again
        logger.warning("Broker unavailable; chunks of newsletter %s wait for the sweeper", newsletter_id)
    newsletter_maybe_finish(newsletter_id=newsletter_id)
    return len(ids)


# --- sending one chunk -------------------------------------------------------------------------


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.NEWSLETTER_CHUNK_LEASE_SECONDS)


def _claim(chunk_id: int) -> tuple[SendChunk, int] | None:
    """The chunk and this claim's fencing token, or None when it is not ours to send."""
    token = SendChunk.objects.filter(pk=chunk_id, status=ChunkStatus.QUEUED).values_list("token", flat=True).first()
    if token is None:
        return None
    # Conditional on the token read: of two workers claiming at once, one wins, and the winner
    # knows its token without reading the row again.
    claimed = SendChunk.objects.filter(
        pk=chunk_id, status=ChunkStatus.QUEUED, token=token, newsletter__status=NewsletterStatus.SENDING
    ).update(status=ChunkStatus.INFLIGHT, token=token + 1, lease_until=_lease_end(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return SendChunk.objects.select_related("newsletter").get(pk=chunk_id), token + 1


def _renew(chunk_id: int, token: int) -> bool:
    """Extend this claim's lease; False if the chunk was handed on meanwhile."""
    return bool(
        SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(lease_until=_lease_end())
    )


def _release(chunk_id: int, token: int, *, queued_at=None) -> None:
    SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.QUEUED, queued_at=queued_at or timezone.now()
    )


def _record_failure(chunk_id: int, token: int, exc: Exception) -> None:
    """Put the chunk back for a retry, counting the failure; past the bound the send fails."""
    failed = SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.QUEUED,
        queued_at=timezone.now(),
        failures=F("failures") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:300],
    )
    if failed:
        newsletter_id = SendChunk.objects.filter(pk=chunk_id).values_list("newsletter_id", flat=True).first()
        _fail_exhausted(newsletter_id)


def _fail_exhausted(newsletter_id: int) -> bool:
    """Fail the send if one of its chunks has failed as often as a chunk may."""
    worst = (
        SendChunk.objects.filter(newsletter_id=newsletter_id, failures__gte=settings.NEWSLETTER_CHUNK_MAX_FAILURES)
        .exclude(status=ChunkStatus.DONE)
        .values("number", "failures", "last_error")
        .first()
    )
    if worst is None:
        return False
    return _fail_send(
        newsletter_id,
        f"Part {worst['number'] + 1} of the send failed {worst['failures']} times; last error: {worst['last_error']}",
    )


def _permanent_refusal(exc: Exception, address: str) -> str | None:
    """The server's reason when it refused this recipient for good (5xx), else None."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        for code, reason in exc.recipients.values():
            if code >= 500:
                text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
                return f"{code} {text}"
        return None
    try:
        from anymail.exceptions import AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        return None
    if isinstance(exc, AnymailRecipientsRefused):
        return str(exc)[:300]
    return None


def _anymail_refusal(message: EmailMultiAlternatives, address: str) -> str | None:
    status = getattr(message, "anymail_status", None)
    if status is None or not getattr(status, "recipients", None):
        return None
    recipient = status.recipients.get(address)
    if recipient is not None and recipient.status in ("rejected", "invalid"):
        return f"{recipient.status} by the provider"
    return None


def _message_id(message: EmailMultiAlternatives) -> str:
    status = getattr(message, "anymail_status", None)
    return (getattr(status, "message_id", None) or "")[:200] if status is not None else ""


_TAKE = "newsletter_delivery_take"


def chunk_send(*, chunk_id: int) -> int:
    """Send the pending deliveries of one chunk. Returns how many this call sent."""
    claim = _claim(chunk_id)
    if claim is None:
        return 0
    chunk, token = claim
    newsletter = chunk.newsletter
    # A message of a worker that died (or stalled for this long) with it in flight is presumed
    # lost and sent again: the one repeat per killed worker we accept. A younger one may still
    # be on its way: it waits for its owner to record it (see the end of this function).
    Delivery.objects.filter(
        newsletter=newsletter,
        chunk=chunk.number,
        status=DeliveryStatus.INFLIGHT,
        inflight_at__lt=timezone.now() - timedelta(seconds=settings.NEWSLETTER_DELIVERY_INFLIGHT_SECONDS),
    ).update(status=DeliveryStatus.PENDING)
    try:
        problem = subject_problem(newsletter.subject)
        if problem is not None:
            raise SendFailed(problem)
        issue = rendering.render_issue(newsletter)
    except _BUILD_ERRORS as exc:
        return _stop_failed(chunk.pk, token, newsletter.pk, f"The issue could not be rendered: {exc}")
    except SendFailed as exc:
        return _stop_failed(chunk.pk, token, newsletter.pk, str(exc))
    events_cache: dict = {}
    limiter = rate_limiter()
    deliveries = list(
        Delivery.objects.filter(newsletter=newsletter, chunk=chunk.number, status=DeliveryStatus.PENDING)
        .select_related("subscriber")
        .only("pk", "attempts", "subscriber__email", "subscriber__name", "subscriber__district_id")
        .order_by("pk")
    )
    postgres = db_connection.vendor == "postgresql"
    mark_statement, take_statement = f"{_MARK}_{chunk.pk}_{token}", f"{_TAKE}_{chunk.pk}_{token}"
    if postgres:
        # Marks are committed per message; not waiting for the WAL flush of each one makes
        # them cheap. Only a crash of the database server itself (not of a worker) could lose
        # the last few marks, and with them send those messages again. Prepared statements
        # spare the server parsing and planning the same statements for every message.
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
            cursor.execute(
                f"PREPARE {mark_statement} (bigint, timestamptz, varchar) AS UPDATE {Delivery._meta.db_table} "
                f"SET status = '{DeliveryStatus.SENT.value}', sent_at = $2, attempts = attempts + 1, "
                "provider_message_id = $3 WHERE id = $1"
            )
            # The lease and the in-flight mark in one round trip: the delivery is taken only
            # if the lease is still this claim's.
            cursor.execute(
                f"PREPARE {take_statement} (bigint, integer, timestamptz, bigint, timestamptz) AS "
                f"WITH lease AS (UPDATE {SendChunk._meta.db_table} SET lease_until = $3 "
                f"WHERE id = $1 AND token = $2 AND status = '{ChunkStatus.INFLIGHT.value}' RETURNING 1), "
                f"taken AS (UPDATE {Delivery._meta.db_table} SET status = '{DeliveryStatus.INFLIGHT.value}', "
                f"inflight_at = $5 WHERE id = $4 AND status = '{DeliveryStatus.PENDING.value}' "
                "AND EXISTS (SELECT 1 FROM lease) RETURNING 1) "
                "SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM taken)"
            )
    mail = get_connection()
    factory = None
    sent = 0
    stopped = False
    try:
        mail.open()
        try:
            factory = ChunkMessages(issue, newsletter.pk, mail)
        except _BUILD_ERRORS as exc:
            raise SendFailed(f"The message could not be built: {exc}") from exc
        factory.prepared_mark = postgres
        factory.mark_statement, factory.take_statement = mark_statement, take_statement
        factory.chunk_id, factory.token = chunk.pk, token
        for start in range(0, len(deliveries), STATUS_BATCH):
            batch = deliveries[start : start + STATUS_BATCH]
            # Re-read, right before sending, who still receives mail and whether the issue is
            # still sending: an unsubscribe or a pause takes effect within a few messages.
            status = Newsletter.objects.filter(pk=newsletter.pk).values_list("status", flat=True).first()
            if status != NewsletterStatus.SENDING:
                stopped = True
                break
            if not _renew(chunk.pk, token):
                raise LeaseLost
            receiving = set(
                Subscriber.objects.receiving()
                .filter(pk__in=[d.subscriber_id for d in batch])
                .values_list("pk", flat=True)
            )
            skipped = [d.pk for d in batch if d.subscriber_id not in receiving]
            if skipped:
                Delivery.objects.filter(pk__in=skipped, status=DeliveryStatus.PENDING).update(
                    status=DeliveryStatus.SKIPPED
                )
            todo = [d for d in batch if d.subscriber_id in receiving]
            grant = 0
            for position, delivery in enumerate(todo):
                if grant == 0:
                    grant = limiter.grant_size(len(todo))
                    _wait(limiter.reserve(grant), chunk.pk, token)
                grant -= 1
                # The next recipient's envelope may open with this message, never across the
                # status check of the next batch.
                next_to = todo[position + 1].subscriber.email if position + 1 < len(todo) else None
                sent += _send_one(factory, newsletter, delivery, events_cache, next_to)
    except LeaseLost:
        # Stalled past the lease, the chunk is another worker's now: touch nothing of it.
        logger.warning("Chunk %s was handed on while this worker sent it; it stops here", chunk.pk)
        return sent
    except SendFailed as exc:
        return sent + _stop_failed(chunk.pk, token, newsletter.pk, str(exc))
    except Exception as exc:
        _record_failure(chunk.pk, token, exc)
        raise
    finally:
        try:
            if factory is not None:
                factory.abandon()
            mail.close()
        finally:
            if postgres:
                with db_connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
                    cursor.execute(f"DEALLOCATE {mark_statement}")
                    cursor.execute(f"DEALLOCATE {take_statement}")
    if stopped:
        _release(chunk.pk, token)
        return sent
    waiting = Delivery.objects.filter(
        newsletter=newsletter, chunk=chunk.number, status=DeliveryStatus.INFLIGHT
    ).aggregate(since=Min("inflight_at"))["since"]
    if waiting is not None:
        # Another worker's message may still be on its way (that worker stalled with it in
        # flight and records it when it wakes up). Rather than hold this worker, the chunk goes
        # back to the queue, dated so that the sweeper's lost-task rule hands it out again only
        # when that message is presumed lost.
        lease, inflight = settings.NEWSLETTER_CHUNK_LEASE_SECONDS, settings.NEWSLETTER_DELIVERY_INFLIGHT_SECONDS
        _release(chunk.pk, token, queued_at=waiting + timedelta(seconds=inflight - lease))
        return sent
    _close_chunk(chunk.pk, token)
    newsletter_maybe_finish(newsletter_id=newsletter.pk)
    return sent


def _stop_failed(chunk_id: int, token: int, newsletter_id: int, reason: str) -> int:
    """A permanent problem: fail the send at once rather than retry what cannot work."""
    _fail_send(newsletter_id, reason)
    _release(chunk_id, token)
    return 0


def _close_chunk(chunk_id: int, token: int) -> None:
    """Mark a chunk done with its counts, read from its few hundred delivery rows."""
    chunk = SendChunk.objects.filter(pk=chunk_id).values("newsletter_id", "number").first()
    counts = dict(
        Delivery.objects.filter(newsletter_id=chunk["newsletter_id"], chunk=chunk["number"])
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    SendChunk.objects.filter(pk=chunk_id, token=token, status=ChunkStatus.INFLIGHT).update(
        status=ChunkStatus.DONE,
        done_at=timezone.now(),
        sent_count=counts.get(DeliveryStatus.SENT, 0),
        failed_count=counts.get(DeliveryStatus.FAILED, 0),
        skipped_count=counts.get(DeliveryStatus.SKIPPED, 0),
    )


def _wait(seconds: float, chunk_id: int, token: int) -> None:
    """Sleep for the rate limiter, renewing the lease well within its term."""
    step_max = max(0.2, settings.NEWSLETTER_CHUNK_LEASE_SECONDS / 3)
    while seconds > 0:
        step = min(seconds, step_max)
        time.sleep(step)
        seconds -= step
        if not _renew(chunk_id, token):
            raise LeaseLost


def _take(factory: ChunkMessages, delivery_id: int) -> bool:
    """Renew the lease and mark the delivery in flight. False if someone else has (or had) it
    in hand; raises ``LeaseLost`` if the chunk is no longer this worker's."""
    now = timezone.now()
    if factory.prepared_mark:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"EXECUTE {factory.take_statement} (%s, %s, %s, %s, %s)",
                [factory.chunk_id, factory.token, _lease_end(), delivery_id, now],
            )
            leased, taken = cursor.fetchone()
    else:
        leased = _renew(factory.chunk_id, factory.token)
        taken = leased and Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.INFLIGHT, inflight_at=now
        )
    if not leased:
        raise LeaseLost
    return bool(taken)


def _send_one(
    factory: ChunkMessages, newsletter: Newsletter, delivery: Delivery, events_cache: dict, next_to: str | None
) -> int:
    subscriber = delivery.subscriber
    try:
        message = factory.make(
            to=subscriber.email,
            name=subscriber.name,
            subscriber_id=delivery.subscriber_id,
            delivery_id=delivery.pk,
            events=_events_for(newsletter, subscriber.district_id, events_cache),
        )
        if not isinstance(message, PrerenderedEmail):
            message.message()  # built here, where a failure is known to be the message's own
    except _BUILD_ERRORS as exc:
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, error=f"The message could not be built: {exc}"[:300]
        )
        factory.abandon()  # an envelope opened ahead for this recipient must not take the next
        return 0
    if not _take(factory, delivery.pk):
        factory.abandon()
        return 0
    try:
        factory.send(message, next_to)
    except Exception as exc:
        refusal = _permanent_refusal(exc, subscriber.email)
        if refusal is None and delivery.attempts + 1 < MAX_ATTEMPTS:
            # A connection problem: try the rest of the chunk later on a fresh connection.
            Delivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.PENDING, attempts=F("attempts") + 1, error=str(exc)[:300]
            )
            raise
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, attempts=F("attempts") + 1, error=(refusal or str(exc))[:300]
        )
        if refusal is not None:
            subscriber_suppress(email=subscriber.email, reason=SuppressionReason.REFUSED, detail=refusal)
        return 0
    refusal = _anymail_refusal(message, subscriber.email)
    if refusal is not None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, attempts=F("attempts") + 1, error=refusal
        )
        subscriber_suppress(email=subscriber.email, reason=SuppressionReason.REFUSED, detail=refusal)
        return 0
    # The mark that matters most: one short statement, committed as soon as the server accepted.
    # Whoever holds the chunk now, the message went: the mark records a fact, not a claim.
    with db_connection.cursor() as cursor:
        if factory.prepared_mark:
            cursor.execute(
                f"EXECUTE {factory.mark_statement} (%s, %s, %s)", [delivery.pk, timezone.now(), _message_id(message)]
            )
        else:
            cursor.execute(
                f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, attempts = attempts + 1, "
                "provider_message_id = %s WHERE id = %s",
                [DeliveryStatus.SENT.value, timezone.now(), _message_id(message), delivery.pk],
            )
    return 1


def newsletter_maybe_finish(*, newsletter_id: int) -> bool:
    """Close a send once it is prepared and every chunk is done."""
    if SendChunk.objects.filter(newsletter_id=newsletter_id).exclude(status=ChunkStatus.DONE).exists():
        return False
    return bool(
        Newsletter.objects.filter(pk=newsletter_id, status=NewsletterStatus.SENDING, prepared=True).update(
            status=NewsletterStatus.SENT, sent_at=timezone.now()
        )
    )


# --- the sweeper -------------------------------------------------------------------------------


def newsletter_sweep(*, now=None) -> dict[str, int]:
    """Start due scheduled issues; recover chunks whose lease expired or whose task was lost."""
    from newsletter.tasks import send_chunk

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NEWSLETTER_CHUNK_LEASE_SECONDS)
    report = {"started": 0, "requeued": 0, "prepared": 0, "failed": 0}
    for newsletter in Newsletter.objects.filter(status=NewsletterStatus.SCHEDULED, scheduled_at__lte=now):
        try:
            newsletter_send_now(newsletter=newsletter)
            report["started"] += 1
        except NotSendable as exc:
            # Nobody is at the button to read the refusal: the issue shows it as its failure.
            report["failed"] += _fail_send(newsletter.pk, str(exc), from_status=(NewsletterStatus.SCHEDULED,))
        except NotAllowed:
            continue
    sending = list(
        Newsletter.objects.filter(status=NewsletterStatus.SENDING).values_list("pk", "prepared", "started_at")
    )
    for newsletter_id, prepared, started_at in sending:
        if not prepared:
            if started_at is None or started_at < stale:
                _queue_prepare(newsletter_id)
                report["prepared"] += 1
            continue
        # A chunk whose lease expired (its worker was killed, or stalled) goes back to the
        # queue. Its owner renews the lease before every message, so a slow server alone never
        # lets it expire; a stalled owner that wakes up finds its token outdated and stops.
        expired = SendChunk.objects.filter(
            newsletter_id=newsletter_id, status=ChunkStatus.INFLIGHT, lease_until__lt=now
        ).update(
            status=ChunkStatus.QUEUED,
            queued_at=now - timedelta(days=1),
            failures=F("failures") + 1,
            last_error="Its worker stopped renewing its lease (killed or stalled).",
        )
        if expired and _fail_exhausted(newsletter_id):
            report["failed"] += 1
            continue
        lost = list(
            SendChunk.objects.filter(newsletter_id=newsletter_id, status=ChunkStatus.QUEUED, queued_at__lt=stale)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        if lost:
            SendChunk.objects.filter(pk__in=lost).update(queued_at=now)
            try:
                for chunk_id in lost:
                    send_chunk.delay(chunk_id)
            except Exception:  # noqa: BLE001 - broker away: next sweep
                logger.warning("Broker unavailable; %s chunks wait for the next sweep", len(lost))
            report["requeued"] += len(lost)
        newsletter_maybe_finish(newsletter_id=newsletter_id)
    return report
