"""Every CSV the portal hands out is safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP, "CSV Injection"); such a cell is written with a
leading single quote. One writer does this (``imc.csvsafe.csv_writer``), and every download uses
it: the group member list and the event attendee list are checked here cell by cell, and a scan of
the source checks that no module writes CSV any other way.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import user_ensure
from events import services as event_services
from events.models import Event, EventStatus
from groups import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
ROOT = Path(__file__).resolve().parents[2]


def _members_like_attackers() -> list:
    """One account per dangerous first character, in every field a person types; an address can
    only start with the characters an email address may (``=``, ``+``, ``-``)."""
    users = []
    for n, start in enumerate(FORMULA_STARTS):
        email = f"{start}1+1-{n}@example.org" if start in "=+-" else f"plain-{n}@example.org"
        users.append(
            user_ensure(
                email=email,
                password=PASSWORD,
                first_name=f"{start}HYPERLINK({n})",
                last_name=f"{start}cmd|' /C calc'!A0",
            )
        )
    return users


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _download(client, user, url: str) -> list[list[str]]:
    """The rows of a CSV download as ``user`` sees it, each cell checked for a formula start."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = _cells(body.decode())
    for row in rows:
        for cell in row:
            assert cell[:1] not in FORMULA_STARTS, f"{cell!r} would run as a formula"
    return rows


# --- The helper -----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_the_writer_prefixes_every_cell_that_starts_like_a_formula(start):
    from imc.csvsafe import csv_writer

    out = io.StringIO()
    csv_writer(out).writerow([f"{start}SUM(A1)", "plain", f"a{start}b"])
    assert _cells(out.getvalue()) == [[f"'{start}SUM(A1)", "plain", f"a{start}b"]]


def test_the_writer_leaves_safe_cells_alone_and_writes_other_types_as_text():
    from imc.csvsafe import csv_writer

    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["name", 3, None, ""])
    writer.writerows([[-2, "'quoted"]])
    assert _cells(out.getvalue()) == [["name", "3", "", ""], ["'-2", "'quoted"]]


def test_without_a_file_the_writer_returns_each_line_for_streaming():
    from imc.csvsafe import csv_writer

    writer = csv_writer()
    assert writer.writerow(["=1+1", "ok"]) == "'=1+1,ok\r\n"


# --- Each download ------------------------------------------------------------------------------------


def test_the_group_member_list_neutralises_every_cell(client, lowell_group, organizer):
    users = _members_like_attackers()
    for user in users:
        services.membership_join(user=user, group=lowell_group)
    rows = _download(client, organizer, f"/groups/{lowell_group.slug}/members.csv")
    firsts = {row[0] for row in rows[1:]}
    assert {f"'{start}HYPERLINK({n})" for n, start in enumerate(FORMULA_STARTS)} <= firsts
    assert {f"'{start}1+1-{n}@example.org" for n, start in enumerate(FORMULA_STARTS[:3])} <= {r[2] for r in rows}


def test_the_event_attendee_list_neutralises_every_cell(client, lowell_group, organizer):
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(
        slug="formula-night",
        title="Formula night",
        host_group=lowell_group,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        town=lowell_group.home_town,
        district=lowell_group.district,
        status=EventStatus.PUBLISHED,
    )
    users = _members_like_attackers()
    for user in users:
        event_services.rsvp_create(event=event, user=user)
    rows = _download(client, organizer, f"/events/{event.slug}/attendees.csv")
    assert len(rows) == len(users) + 1
    names = {row[0] for row in rows[1:]}
    # The full name is "first last" with the ends trimmed, so a leading tab or CR cannot survive it.
    assert {f"'{s}HYPERLINK({n}) {s}cmd|' /C calc'!A0" for n, s in enumerate(FORMULA_STARTS[:4])} <= names
    assert {f"'{s}1+1-{n}@example.org" for n, s in enumerate(FORMULA_STARTS[:3])} <= {row[1] for row in rows}


# --- No other way to write CSV ---------------------------------------------------------------------


def _project_modules() -> list[Path]:
    skip = {".venv", "node_modules", "tests", "static", ".git"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


WRITES_CSV = re.compile(r"csv\s*\.\s*(writer|DictWriter)\b|from\s+csv\s+import[^\n]*\b(writer|DictWriter)\b")


def test_no_module_writes_csv_except_through_the_safe_writer():
    modules = _project_modules()
    assert any(p.name == "views.py" and p.parent.name == "events" for p in modules)  # the scan sees the apps
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules
        if p != ROOT / "imc" / "csvsafe.py" and WRITES_CSV.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_module_serving_text_csv_uses_the_safe_writer():
    serving = [p for p in _project_modules() if "text/csv" in p.read_text(encoding="utf-8")]
    assert {str(p.relative_to(ROOT)) for p in serving} >= {"events/views.py", "groups/views.py"}
    for path in serving:
        assert "csv_writer" in path.read_text(encoding="utf-8"), path
