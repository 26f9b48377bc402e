"""The Mobilize import: each source's events, copied into portal events through ``events.services``.

A sync reads every page first (events changed since the last successful sync, then the deleted
ones); a page that fails (timeout, 429, 5xx, bad JSON) records the error on the source and writes
nothing, and the last successful sync stays where it was, so the next run asks again for the
same changes. Then each Mobilize event is applied in a transaction of its own: all its timeslots
or none. An event the portal cannot hold (private, outside Massachusetts, an unknown town, no
timeslot to come, a value the event rules refuse) is skipped with its reason on the source.

One portal event per upcoming Mobilize timeslot, keyed by (source, Mobilize event id, timeslot
id): a re-sync finds its rows and rewrites nothing unless Mobilize's ``modified_date`` moved. A
timeslot Mobilize dropped, an event it deleted and an event that turned private are cancelled on
the portal (those who RSVP'd are told by ``events.services.event_cancel``).
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from districts.models import Town, ZipCode
from districts.policy import is_coordinator
from districts.selectors import place_lookup
from events import services as event_services
from events.models import Accessibility, EventStatus, EventType
from imc.markdown import plain_text
from imc.validators import multi_line, single_line
from imports import mobilize
from imports.models import ImportedEvent, ImportSource

logger = logging.getLogger(__name__)

# Asked again on every sync: Mobilize's clock and ours may differ a little, and a re-read
# event whose modified_date has not moved writes nothing.
OVERLAP = timedelta(minutes=5)
# A sync holds its source this long; a second beat run meanwhile leaves it alone.
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=24)
PRIVATE_ADDRESS_MARK = "address is private"
# The event fields a sync writes (``translate`` and the timeslot's times): read-only on the portal,
# where the organizer's form and the admin show them as Mobilize has them (``events.origin``).
COPIED_FIELDS = frozenset(
    {
        "title",
        "event_type",
        "starts_at",
        "ends_at",
        "is_online",
        "join_url",
        "venue",
        "address",
        "town",
        "description",
        "accessibility",
        "accessibility_notes",
    }
)

EVENT_TYPES = {
    "CANVASS": EventType.CANVASS,
    "COMMUNITY_CANVASS": EventType.CANVASS,
    "LITERATURE_DROP_OFF": EventType.CANVASS,
    "PHONE_BANK": EventType.PHONE_BANK,
    "AUTOMATED_PHONE_BANK": EventType.PHONE_BANK,
    "ADVOCACY_CALL": EventType.PHONE_BANK,
    "TEXT_BANK": EventType.TEXT_BANK,
    "MEETING": EventType.GROUP_MEETING,
    "TRAINING": EventType.TRAINING,
    "WORKSHOP": EventType.TRAINING,
    "RALLY": EventType.RALLY,
    "VISIBILITY_EVENT": EventType.RALLY,
    "SOLIDARITY_EVENT": EventType.RALLY,
    "TOWN_HALL": EventType.TOWN_HALL,
    "LETTER_WRITING": EventType.POSTCARDS,
    "POSTCARDS": EventType.POSTCARDS,
    "COMMUNITY": EventType.SOCIAL,
    "MEET_GREET": EventType.SOCIAL,
    "HOUSE_PARTY": EventType.SOCIAL,
    "DEBATE_WATCH_PARTY": EventType.SOCIAL,
}


class Skip(Exception):
    """This Mobilize event is not imported; the message says why."""


@dataclass
class Outcome:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "cancelled": 0, "skipped": 0}
    )
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, raw: dict[str, Any], reason: str) -> None:
        self.counts["skipped"] += 1
        self.skipped.append({"id": raw.get("id"), "title": single_line(raw.get("title"))[:200], "reason": reason})


# --- from Mobilize's JSON to the portal's event fields -------------------------------------------

_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/h[1-6]|/tr)\s*>")
# What still reads as a tag once the entities are decoded (``&lt;script&gt;``): dropped too, so
# plain-text readers (calendars, mail) never carry markup, whatever the page's sanitiser does.
_TAG_LIKE = re.compile(r"<[^<>]*>")


def description_text(raw_html: Any) -> str:
    """Mobilize's HTML description as plain text (Markdown, rendered by ``imc.markdown`` later):
    every tag removed (scripts with their content), paragraphs kept as blank lines."""
    text = _BLOCK_END.sub("\n\n", str(raw_html or ""))
    text = _TAG_LIKE.sub("", html.unescape(plain_text(text)))
    text = multi_line(text)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _when(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _town(location: dict[str, Any]) -> Town | None:
    code = str(location.get("postal_code") or "")[:5]
    if code:
        found = ZipCode.objects.select_related("town__primary_district").filter(code=code).first()
        if found:
            return found.town
    locality = single_line(location.get("locality"))
    towns = place_lookup(locality).towns if locality else []
    return towns[0] if towns else None


def _http_url(value: Any) -> str:
    text = single_line(value)[:500]
    return text if text.startswith(("https://", "http://")) else ""


@dataclass
class Translated:
    mobilize_id: int
    modified_date: int
    browser_url: str
    values: dict[str, Any]  # the event fields shared by every timeslot
    timeslots: list[tuple[int, datetime, datetime]]  # (id, start, end), upcoming ones only


def translate(raw: dict[str, Any], *, now: datetime) -> Translated:
    """The portal's fields for one Mobilize event, or ``Skip`` with the reason it cannot be one."""
    mobilize_id = _int(raw.get("id"))
    if mobilize_id is None:
        raise Skip("no event id")
    title = single_line(raw.get("title"))[:200]
    if not title:
        raise Skip("no title")
    raw_slots = raw.get("timeslots")
    if not isinstance(raw_slots, list) or not raw_slots:
        raise Skip("no timeslots")
    timeslots = []
    for slot in raw_slots:
        slot = slot if isinstance(slot, dict) else {}
        slot_id, start, end = _int(slot.get("id")), _int(slot.get("start_date")), _int(slot.get("end_date"))
        if slot_id is None or start is None or end is None or end < start:
            raise Skip("a timeslot without an id, a start and an end after it")
        if _when(end) > now:
            timeslots.append((slot_id, _when(start), _when(end)))
    if not timeslots:
        raise Skip("no timeslot to come")

    location = raw.get("location") if isinstance(raw.get("location"), dict) else None
    is_online = bool(raw.get("is_virtual")) or location is None
    browser_url = _http_url(raw.get("browser_url"))
    values: dict[str, Any] = {
        "title": title,
        "event_type": EVENT_TYPES.get(str(raw.get("event_type") or "").upper(), EventType.OTHER),
        "is_online": is_online,
        "join_url": (_http_url(raw.get("virtual_action_url")) or browser_url) if is_online else "",
        "venue": "",
        "address": "",
        "town": None,
    }
    if location is not None:
        region = single_line(location.get("region")).upper()
        if region != "MA" and not is_online:
            raise Skip(f"outside Massachusetts ({region or 'no state'})")
        town = _town(location) if region == "MA" else None
        if town is None and not is_online:
            raise Skip(f"unknown town: {single_line(location.get('locality')) or 'none given'}")
        values["town"] = town
        if town is not None and str(raw.get("address_visibility") or "PUBLIC").upper() == "PUBLIC":
            lines = location.get("address_lines") if isinstance(location.get("address_lines"), list) else []
            address = ", ".join(single_line(line) for line in lines if single_line(line))
            venue = single_line(location.get("venue"))
            if PRIVATE_ADDRESS_MARK not in (address + venue).lower():
                values["venue"], values["address"] = venue[:200], address[:250]

    description = description_text(raw.get("description"))
    if browser_url:
        description += f"\n\n*Imported from Mobilize: [sign up on Mobilize]({browser_url}).*"
    values["description"] = description.strip()
    status = str(raw.get("accessibility_status") or "").upper()
    values["accessibility"] = [Accessibility.WHEELCHAIR.value] if status == "ACCESSIBLE" else []
    values["accessibility_notes"] = multi_line(raw.get("accessibility_notes"))[:2000]
    modified = _int(raw.get("modified_date")) or 0
    return Translated(mobilize_id, modified, browser_url, values, timeslots)


# --- applying one Mobilize event -----------------------------------------------------------------


def _cancel(imported: ImportedEvent, *, actor: User, now: datetime) -> bool:
    event = imported.event
    if event.status == EventStatus.CANCELLED or event.ends_at < now:
        return False
    event_services.event_cancel(event=event, by=actor)
    return True


def _cancel_all(source: ImportSource, mobilize_id: int, *, actor: User, now: datetime) -> int:
    rows = ImportedEvent.objects.filter(source=source, mobilize_event_id=mobilize_id).select_related("event")
    return sum(_cancel(row, actor=actor, now=now) for row in rows)


@transaction.atomic
def _apply(source: ImportSource, raw: dict[str, Any], *, actor: User, now: datetime, outcome: Outcome) -> None:
    """Write one Mobilize event (every timeslot) or, raising, nothing of it."""
    item = translate(raw, now=now)
    existing = {
        row.mobilize_timeslot_id: row
        for row in ImportedEvent.objects.filter(source=source, mobilize_event_id=item.mobilize_id).select_related(
            "event"
        )
    }
    counts = dict.fromkeys(outcome.counts, 0)
    for slot_id, start, end in item.timeslots:
        values = {**item.values, "starts_at": start, "ends_at": end}
        row = existing.pop(slot_id, None)
        if row is None:
            (event,) = event_services.event_create(by=actor, host_group=source.host_group, publish=True, **values)
            ImportedEvent.objects.create(
                source=source,
                mobilize_event_id=item.mobilize_id,
                mobilize_timeslot_id=slot_id,
                event=event,
                browser_url=item.browser_url,
                modified_date=item.modified_date,
            )
            counts["created"] += 1
        elif row.modified_date == item.modified_date:
            counts["unchanged"] += 1
        elif row.event.status == EventStatus.CANCELLED:
            raise Skip("cancelled on the portal; a cancelled event is not opened again")
        else:
            event_services.event_update(event=row.event, by=actor, from_origin=True, **values)
            row.modified_date, row.browser_url = item.modified_date, item.browser_url
            row.save(update_fields=["modified_date", "browser_url", "updated_at"])
            counts["updated"] += 1
    for row in existing.values():  # timeslots Mobilize no longer lists
        counts["cancelled"] += _cancel(row, actor=actor, now=now)
    for key, value in counts.items():
        outcome.counts[key] += value


def _problems(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


# --- a whole sync --------------------------------------------------------------------------------


def _actor(source: ImportSource) -> User:
    actor = source.acts_as
    if actor is None or not is_coordinator(actor):
        raise PermissionDenied("the source must be saved again by a coordinator: the importer acts as them")
    return actor


def _record_failure(source: ImportSource, message: str, *, now: datetime, retry_after: int | None = None) -> None:
    failures = source.failures + 1
    delay = min(timedelta(minutes=settings.MOBILIZE_SYNC_MINUTES) * 2 ** (failures - 1), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    ImportSource.objects.filter(pk=source.pk).update(
        last_attempt_at=now,
        last_error=f"{now:%Y-%m-%d %H:%M} UTC: {message}"[:2000],
        failures=failures,
        next_attempt_at=now + delay,
    )
    logger.warning("Mobilize import %s failed: %s", source.pk, message)


def source_sync(source: ImportSource, *, now: datetime | None = None) -> Outcome | None:
    """One sync of one source. Returns what it did, or None when it failed (error on the source)."""
    now = now or timezone.now()
    try:
        actor = _actor(source)
        since = source.last_success_at - OVERLAP if source.last_success_at else None
        raw_events = mobilize.organization_events(source.mobilize_org_id, since)
        deleted = mobilize.organization_deleted_events(source.mobilize_org_id, since)
    except mobilize.FetchError as exc:
        _record_failure(source, str(exc), now=now, retry_after=exc.retry_after)
        return None
    except PermissionDenied as exc:
        _record_failure(source, str(exc), now=now)
        return None
    outcome = Outcome()
    for raw in raw_events:
        mobilize_id = _int(raw.get("id"))
        if mobilize_id is not None and str(raw.get("visibility") or "PUBLIC").upper() != "PUBLIC":
            with transaction.atomic():  # it was public once: what the portal shows of it goes
                outcome.counts["cancelled"] += _cancel_all(source, mobilize_id, actor=actor, now=now)
            outcome.skip(raw, "not public on Mobilize")
            continue
        try:
            _apply(source, raw, actor=actor, now=now, outcome=outcome)
        except Skip as exc:
            outcome.skip(raw, str(exc))
        except ValidationError as exc:
            outcome.skip(raw, _problems(exc))
    for gone in deleted:
        mobilize_id = _int(gone.get("id"))
        if mobilize_id is not None:
            with transaction.atomic():
                outcome.counts["cancelled"] += _cancel_all(source, mobilize_id, actor=actor, now=now)
    ImportSource.objects.filter(pk=source.pk).update(
        last_success_at=now,
        last_attempt_at=now,
        failures=0,
        next_attempt_at=None,
        last_counts=outcome.counts,
        last_skipped=outcome.skipped[:200],
    )
    return outcome


def _claim(source: ImportSource, now: datetime) -> bool:
    """Hold the source for this run (a conditional update): False if another run has it or it waits."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(ImportSource.objects.filter(due, pk=source.pk, enabled=True).update(next_attempt_at=now + LEASE))


def sources_sync_due(*, now: datetime | None = None) -> int:
    """Sync every enabled source that is due (the beat task). One source's failure, of any kind,
    is recorded on it and never stops the others. Returns how many succeeded."""
    now = now or timezone.now()
    done = 0
    for source in ImportSource.objects.filter(enabled=True).select_related("host_group", "acts_as"):
        if not _claim(source, now):
            continue
        try:
            done += source_sync(source, now=now) is not None
        except Exception as exc:  # a bug or a database error in one source must not stop the rest
            logger.exception("Mobilize import %s crashed", source.pk)
            _record_failure(source, f"{type(exc).__name__}: {exc}", now=now)
    return done
