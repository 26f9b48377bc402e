"""What every outbox mail says about itself: a Message-ID in the site's own domain,
``Auto-Submitted: auto-generated`` (RFC 3834: no vacation replies to a machine), and HTML parts
that are whole documents, not fragments."""

from __future__ import annotations

from email import message_from_bytes
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from newsletter.models import ConsentSource
from newsletter.services import subscriber_request
from outbox.models import OutboundEmail
from outbox.services import build_message, email_queue, render_email

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Mail templates whose HTML is a part of its own (the newsletter issue and its events block are
# the newsletter's, rendered by newsletter.rendering).
HTML_MAIL_TEMPLATES = sorted(
    str(p.relative_to(TEMPLATES))[: -len(".html")]
    for p in TEMPLATES.glob("*/email*/*.html")
    if p.name not in {"issue.html", "events_block.html"}
)


def _raw(email: OutboundEmail) -> bytes:
    return build_message(email).message().as_bytes()


def test_the_message_id_is_in_site_urls_domain_and_stays_the_same_on_a_retry(settings):
    settings.SITE_URL = "https://portal.example.org"
    email = email_queue(kind="test.notice", to="bob@example.org", subject="Hello", body_text="Hi")
    first, again = message_from_bytes(_raw(email)), message_from_bytes(_raw(email))
    assert first["Message-ID"].endswith("@portal.example.org>")
    assert "localhost" not in first["Message-ID"]
    # A retry of a message the server may already have taken is recognisably the same message.
    assert first["Message-ID"] == again["Message-ID"]
    other = email_queue(kind="test.notice", to="bob@example.org", subject="Hello", body_text="Hi")
    assert message_from_bytes(_raw(other))["Message-ID"] != first["Message-ID"]


def test_outbox_mail_is_marked_auto_generated():
    email = email_queue(kind="test.notice", to="bob@example.org", subject="Hello", body_text="Hi")
    assert message_from_bytes(_raw(email))["Auto-Submitted"] == "auto-generated"


class _Document(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.doctype = ""
        self.first_tag = ""
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl

    def handle_starttag(self, tag, attrs) -> None:
        self.first_tag = self.first_tag or tag
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag) -> None:
        self._in_title = False

    def handle_data(self, data) -> None:
        if self._in_title:
            self.title += data


def assert_whole_document(html: str) -> None:
    doc = _Document()
    doc.feed(html)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert doc.doctype.lower() == "doctype html"
    assert doc.first_tag == "html"
    names = [tag for tag, _ in doc.tags]
    assert dict(doc.tags)["html"].get("lang") == "en"
    assert names.index("head") < names.index("meta") < names.index("title") < names.index("body")
    assert any(tag == "meta" and attrs.get("charset", "").lower() == "utf-8" for tag, attrs in doc.tags)
    assert doc.title.strip()


def test_there_are_html_mail_templates_to_check():
    assert {"events/email/reminder", "newsletter/email/confirm", "events/email/cohost_invitation"} <= set(
        HTML_MAIL_TEMPLATES
    )


@pytest.mark.parametrize("prefix", HTML_MAIL_TEMPLATES)
def test_every_html_mail_part_is_a_whole_document_titled_by_its_subject(prefix):
    subject, _text, html = render_email(prefix, {})
    assert_whole_document(html)
    assert f"<title>{subject}</title>" in html or subject == ""


def test_the_newsletter_confirmation_goes_out_as_a_whole_document(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_request(email="new@example.org", source=ConsentSource.PAGE, ip=None)
    (message,) = mail.outbox
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert_whole_document(html)
    assert "/newsletter/confirm/" in html  # control: the body is inside the document
    parsed = message_from_bytes(message.message().as_bytes())
    assert parsed["Auto-Submitted"] == "auto-generated"
