"""Sending an issue: delivery rows first, then chunks of a few hundred over one connection each.

What is done is recorded in PostgreSQL, never inferred from the broker:

1. ``newsletter_send_now`` moves the issue to "sending" and queues ``prepare``.
2. ``newsletter_prepare`` reads the audience in keyset batches and writes one ``Delivery`` per
   recipient (unique on issue and subscriber) and one ``SendChunk`` per few hundred of them.
   Only when every row exists does it queue the chunks: nothing leaves before that.
3. ``chunk_send`` (in ``chunks.py``) claims a chunk on a lease with a fencing token, renders
   the issue once, and for each pending delivery re-reads whether the subscriber still
   receives mail, waits for the global rate limiter, renews its lease and marks the delivery
   in flight (conditional on its token, and on the delivery still being pending), sends over
   one connection and marks the delivery sent at once.
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
from datetime import timedelta
from email.errors import MessageError
from email.utils import formatdate
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import User
from imc import pagecache
from imc.broker import publish
from imc.validators import NOT_SINGLE_LINE
from newsletter import rendering, selectors, tokens
from newsletter.models import (
    ChunkStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
)
from newsletter.smtp import SmtpSession, plain_address
from outbox.services import email_queue

logger = logging.getLogger(__name__)


class NotAllowed(ValueError):
    """The issue is not in a state that allows this action."""


class NotSendable(NotAllowed):
    """The issue itself cannot go out as it is (its subject would break the message's headers)."""


class SendFailed(Exception):
    """A problem no retry can fix: the whole send stops in the FAILED state with this reason."""


# What building a message raises when its content cannot make a message (a header with a line
# break, an unencodable part): it would fail the same way on every retry.
_BUILD_ERRORS = (ValueError, TypeError, LookupError, MessageError)


def subject_problem(subject: str) -> str | None:
    """Why this subject cannot be a mail header, or None. A line break in a header would end it
    (or inject others), so Django refuses to build such a message at all. The rule is the
    single-line fields' own (``imc.validators``)."""
    if NOT_SINGLE_LINE.search(subject):
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


def build_bulk_message(
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

    def message(self, *args, **kwargs) -> _RawMessage:  # type: ignore[override]  # the backend reads only its bytes
        return _RawMessage(self.raw)

    def send(self, fail_silently: bool = False) -> int:  # type: ignore[override]
        """Straight onto the SMTP connection, as the backend's ``_send`` would do."""
        backend = self.get_connection()  # type: ignore[attr-defined]
        if backend.connection is None:
            backend.open()
        SmtpSession(backend.connection, self.envelope_from).send(self.to[0], self.raw)
        return 1


# Placeholders of the chunk's MIME template that differ between the two parts or live in headers.
_TO = "imcphto@placeholder.invalid"
_TEXT_NAME, _TEXT_EVENTS = "IMCPHTEXTNAME", "IMCPHTEXTEVENTS"
_TOKEN, _MSGID, _DATE, _DELIVERY = "IMCPHTOKEN", "IMCPHMSGID", "IMCPHDATE", "IMCPHDELIVERY"


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
        from_email: str = settings.NEWSLETTER_FROM_EMAIL  # type: ignore[assignment]  # always set in imc.settings
        self.domain = from_email.rsplit("@", 1)[-1].strip(" >") or "localhost"
        self.template = None
        self.session: SmtpSession | None = None
        self.prepared_mark = False
        # PostgreSQL's prepared statements of this claim (named per claim, so that no two chunk
        # sends on one connection, as in a test that runs a takeover in-process, share one).
        self.mark_statement = self.take_statement = ""
        # The claim this factory sends for: every message first renews its lease.
        self.chunk_id = 0
        self.token = 0
        self.envelope_from = sanitize_address(from_email, settings.DEFAULT_CHARSET)
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
        raw = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]  # EmailMessage takes a policy
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
            message = build_bulk_message(
                self.issue,
                to=to,
                name=name,
                subscriber_id=subscriber_id,
                events=events,
                connection=self.connection,
                extra_headers={"X-IMC-Delivery": str(delivery_id)},
            )
            message.metadata = {"delivery_id": str(delivery_id)}  # type: ignore[attr-defined]  # django-anymail
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
        raw: bytes = self.template  # type: ignore[assignment]  # set: the SMTP backend is in use
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

    # Never blocks the coordinator's request: with the broker away the sweeper queues it again.
    publish(prepare, newsletter_id)


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
    for chunk_id in ids:
        # With the broker away this returns at once; the sweeper queues the chunks again.
        if not publish(send_chunk, chunk_id):
            break
    newsletter_maybe_finish(newsletter_id=newsletter_id)
    return len(ids)


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
            for chunk_id in lost:
                if not publish(send_chunk, chunk_id):
                    break  # broker away: the next sweep
            report["requeued"] += len(lost)
        newsletter_maybe_finish(newsletter_id=newsletter_id)
    return report
