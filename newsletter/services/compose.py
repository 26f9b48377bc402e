"""Writes of coordinators composing an issue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from districts.models import District
from imc.validators import require_clean_text
from newsletter.models import Newsletter, NewsletterStatus

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
    by: User | None,
    subject: str,
    preheader: str,
    body_markdown: str,
    audience_all: bool,
    districts: Iterable[District],
    include_events: bool,
) -> Newsletter:
    """Create a draft, or change one that has not started sending."""
    require_clean_text(Newsletter, {"subject": subject, "preheader": preheader, "body_markdown": body_markdown})
    if newsletter is None:
        newsletter = Newsletter(created_by=by)
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
