"""Composing an issue: saving a draft, and a test copy to the coordinator who composes it.

Only a coordinator does either (``newsletter.policy``), whoever calls the service. The test copy
and the compose page's preview are the same copy (``newsletter_test_copy``): what the reader of
``selectors.copy_reader`` gets, events block included, with list headers that work for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from districts.models import District
from imc.validators import require_clean_text
from newsletter import rendering, selectors
from newsletter.models import Newsletter, NewsletterStatus
from newsletter.policy import Actor, require_composer
from newsletter.services.lifecycle import check_sendable
from newsletter.services.messages import events_block
from outbox.services import email_queue

# Paths under /newsletter/ that an issue's slug must never take.
RESERVED_SLUGS = {"unsubscribe", "confirm", "preferences", "feed", "staff", "member", "subscribed", "thanks"}


def _unique_slug(subject: str, exclude_pk: int | None = None) -> str:
    base = slugify(subject)[:60] or "issue"
    base = f"{timezone.localdate():%Y-%m-%d}-{base}"[:70]
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Newsletter.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():  # type: ignore[misc]  # pk=None excludes nothing
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def newsletter_save(
    *,
    newsletter: Newsletter | None = None,
    by: Actor,
    subject: str,
    preheader: str,
    body_markdown: str,
    audience_all: bool,
    districts: Iterable[District],
    include_events: bool,
) -> Newsletter:
    """Create a draft, or change one that has not started sending."""
    composer = require_composer(by)
    require_clean_text(Newsletter, {"subject": subject, "preheader": preheader, "body_markdown": body_markdown})
    if newsletter is None:
        newsletter = Newsletter(created_by=composer)
    elif not newsletter.editable:
        raise ValueError("Only a draft or a scheduled issue can be changed.")
    newsletter.subject = subject
    newsletter.preheader = preheader
    newsletter.body_markdown = body_markdown
    districts = list(districts)
    newsletter.audience_all = audience_all or not districts
    newsletter.include_events = include_events
    if not newsletter.slug or newsletter.status == NewsletterStatus.DRAFT:
        newsletter.slug = _unique_slug(subject, exclude_pk=newsletter.pk)
    newsletter.save()
    newsletter.districts.set([] if newsletter.audience_all else districts)
    return newsletter


@dataclass(frozen=True)
class SampleCopy:
    subject: str
    html: str
    text: str
    headers: dict[str, str]
    reader: selectors.Reader


def newsletter_test_copy(*, newsletter: Any, by: Actor, district_ids: Iterable[int] | None = None) -> SampleCopy:
    """The copy of ``newsletter`` (a saved issue, or the compose form's unsaved one with
    ``district_ids``) that the coordinator ``by`` would be sent as a test: as their own
    subscription reads, or a sample reader's (``selectors.copy_reader``), events block filled."""
    composer = require_composer(by)
    if district_ids is None:
        district_ids = [] if newsletter.audience_all else list(newsletter.districts.values_list("pk", flat=True))
    reader = selectors.copy_reader(
        user=composer, district_ids=list(district_ids), include_events=newsletter.include_events
    )
    issue = rendering.render_issue(newsletter)
    events = events_block(newsletter, reader.district.pk if reader.district else None, {})
    html, text = issue.personalise(
        name=reader.name, subscriber_id=reader.subscriber_id, events_html=events[0], events_text=events[1]
    )
    return SampleCopy(
        subject=issue.subject, html=html, text=text, headers=rendering.list_headers(reader.subscriber_id), reader=reader
    )


def newsletter_send_test(*, newsletter: Newsletter, by: Actor) -> None:
    """One copy to the coordinator asking for it, through the outbox like any other owed email."""
    composer = require_composer(by)
    check_sendable(newsletter)
    copy = newsletter_test_copy(newsletter=newsletter, by=composer)
    with transaction.atomic():
        email_queue(
            kind="newsletter.test",
            to=composer.email,
            subject=f"[TEST] {copy.subject}",
            body_text=copy.text,
            body_html=copy.html,
            headers=copy.headers,
        )
