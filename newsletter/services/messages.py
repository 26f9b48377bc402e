"""Building a newsletter's email messages, the one place that makes them.

``build_bulk_message`` is the message builder: one recipient's copy of a rendered issue
(``rendering.py`` renders it once per send), with the list headers. ``ChunkMessages`` makes every
recipient's copy of one chunk: with Django's SMTP backend from the chunk's MIME bytes, built
once by the same builder with placeholders, personalised by byte replacement and sent over a
pipelined SMTP session (``smtp.py``); with any other backend, one built message each. A test
copy goes through the outbox instead, with the same parts (``compose.py``).
"""

from __future__ import annotations

import logging
import secrets
from email.errors import MessageError
from email.utils import formatdate
from html import escape
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from imc.links import site_hostname
from imc.validators import NOT_SINGLE_LINE
from newsletter import rendering, selectors, tokens
from newsletter.models import Newsletter
from newsletter.smtp import SmtpSession, plain_address

logger = logging.getLogger(__name__)

# What building a message raises when its content cannot make a message (a header with a line
# break, an unencodable part): it would fail the same way on every retry.
BUILD_ERRORS = (ValueError, TypeError, LookupError, MessageError)


def subject_problem(subject: str) -> str | None:
    """Why this subject cannot be a mail header, or None. A line break in a header would end it
    (or inject others), so Django refuses to build such a message at all. The rule is the
    single-line fields' own (``imc.validators``)."""
    if NOT_SINGLE_LINE.search(subject):
        return "The subject contains a line break or another control character; remove it and save the issue."
    return None


def events_block(newsletter: Newsletter, district_id: int | None, cache: dict) -> tuple[str, str]:
    """The "upcoming events in your district" block of one recipient's copy, (HTML, text):
    rendered once per district and send, kept in ``cache``."""
    if not newsletter.include_events or district_id is None:
        return "", ""
    if district_id not in cache:
        cache[district_id] = rendering.render_events_block(selectors.upcoming_events(district_id))
    return cache[district_id]


def message_id(newsletter_id: int, delivery_id: int) -> str:
    """A bulk message's Message-ID: on SITE_URL's host, like the outbox's (``outbox.services``),
    never the From address's domain or the machine's name; unique to this copy of this send."""
    return f"<nl{newsletter_id}.{delivery_id}.{secrets.token_hex(6)}@{site_hostname()}>"


def build_bulk_message(
    issue: rendering.RenderedIssue,
    *,
    to: str,
    name: str,
    subscriber_id: int | None,
    events: tuple[str, str] = ("", ""),
    connection: Any = None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """One recipient's copy of the issue: its text and HTML parts and the list headers."""
    html, text = issue.personalise(name=name, subscriber_id=subscriber_id, events_html=events[0], events_text=events[1])
    return _assemble(
        issue.subject,
        text=text,
        html=html,
        to=to,
        headers={**rendering.list_headers(subscriber_id), **(extra_headers or {})},
        connection=connection,
    )


def _assemble(
    subject: str, *, text: str, html: str, to: str, headers: dict[str, str], connection: Any = None
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
        headers=headers,
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
    """Makes, and hands to the mail connection, each recipient's message of one chunk.

    With Django's SMTP backend, the chunk's message is serialised to MIME once, with
    placeholders, and each recipient's copy is made by byte replacement: the email package's
    serialisation costs more than the SMTP exchange itself. Every other backend (django-anymail
    providers, the test backends) gets an ordinary message per recipient.
    """

    def __init__(self, issue: rendering.RenderedIssue, newsletter_id: int, connection: Any) -> None:
        from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

        self.issue = issue
        self.newsletter_id = newsletter_id
        self.connection = connection
        from_email: str = settings.NEWSLETTER_FROM_EMAIL  # type: ignore[assignment]  # always set in imc.settings
        self.template: bytes | None = None
        self.session: SmtpSession | None = None
        self.envelope_from = sanitize_address(from_email, settings.DEFAULT_CHARSET)
        if isinstance(connection, SmtpBackend):
            self.template = self._template()

    def _template(self) -> bytes | None:
        text = self.issue.text.replace(rendering.NAME, _TEXT_NAME).replace(rendering.EVENTS, _TEXT_EVENTS)
        headers = rendering.list_headers(None, unsubscribe_url=rendering.UNSUBSCRIBE_URL, token=_TOKEN)
        headers.update({"Message-ID": f"<{_MSGID}>", "Date": _DATE, "X-IMC-Delivery": _DELIVERY})
        message = _assemble(self.issue.subject, text=text, html=self.issue.html, to=_TO, headers=headers)
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

    def make(
        self, *, to: str, name: str, subscriber_id: int, delivery_id: int, events: tuple[str, str]
    ) -> EmailMultiAlternatives:
        name = " ".join((name or "").split())
        if not self.prerendered(to):
            message = build_bulk_message(
                self.issue,
                to=to,
                name=name,
                subscriber_id=subscriber_id,
                events=events,
                connection=self.connection,
                extra_headers={
                    "X-IMC-Delivery": str(delivery_id),
                    "Message-ID": message_id(self.newsletter_id, delivery_id),
                },
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
            (_MSGID, message_id(self.newsletter_id, delivery_id)[1:-1]),
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
