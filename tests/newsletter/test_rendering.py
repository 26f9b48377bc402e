"""The chunk's MIME template, personalised by byte replacement, says exactly what a message built
for that recipient says."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from newsletter import rendering
from newsletter.services.messages import ChunkMessages, build_bulk_message
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.django_db


def _parts(raw: bytes) -> dict[str, str]:
    parsed = message_from_bytes(raw, policy=policy.default)
    parts = {
        part.get_content_type(): part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"
    }
    return {"To": str(parsed["To"]), "Subject": str(parsed["Subject"]), **parts}


@pytest.mark.parametrize("name", ["Bob", "Zoë <b>&</b>", "", "Line\nbreak"])
def test_a_prerendered_message_equals_one_built_for_the_recipient(bob, name):
    newsletter = compose(body="# Hi\n\n" + "A long paragraph that goes on. " * 80 + "\n\n- one\n- two")
    issue = rendering.render_issue(newsletter)
    factory = ChunkMessages(issue, newsletter.pk, SmtpBackend(host="127.0.0.1", port=1))
    assert factory.template is not None
    events = ("<ul><li>Town hall · Lowell</li></ul>", "- Town hall · Lowell")
    fast = factory.make(to=bob.email, name=name, subscriber_id=bob.pk, delivery_id=7, events=events)
    fast_raw = fast.message().as_bytes(linesep="\r\n")
    slow = (
        build_bulk_message(issue, to=bob.email, name=" ".join(name.split()), subscriber_id=bob.pk, events=events)
        .message()
        .as_bytes(linesep="\r\n")
    )
    assert _parts(fast_raw) == _parts(slow)
    parsed, reference = message_from_bytes(fast_raw), message_from_bytes(slow)
    for header in ["List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "From"]:
        assert " ".join(parsed[header].split()) == " ".join(reference[header].split())
    assert parsed["X-IMC-Delivery"] == "7" and parsed["Message-ID"].startswith(f"<nl{newsletter.pk}.7.")
    assert max(len(line) for line in fast_raw.split(b"\r\n")) < 998


def test_each_recipient_gets_a_message_id_of_its_own(bob):
    newsletter = compose()
    factory = ChunkMessages(rendering.render_issue(newsletter), newsletter.pk, SmtpBackend(host="127.0.0.1", port=1))
    ids = {
        message_from_bytes(
            factory.make(to=bob.email, name="", subscriber_id=bob.pk, delivery_id=1, events=("", ""))
            .message()
            .as_bytes()
        )["Message-ID"]
        for _ in range(3)
    }
    assert len(ids) == 3
