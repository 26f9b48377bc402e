"""A fake Mobilize API on loopback: a real HTTP server in a thread, serving JSON in the shape of
Mobilize's v1 documentation (``/organizations/:id/events`` and ``/events/deleted``), two items a
page with absolute ``next`` links, filtered by ``updated_since`` on ``modified_date``. A test
can make one page fail (``fail[(path, page)] = status``, with headers) or answer slowly."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from imports.models import ImportSource

ORG = 4242
PAGE_SIZE = 2


class FakeMobilize:
    def __init__(self) -> None:
        self.events: dict[int, dict] = {}  # Mobilize event id -> event JSON
        self.deleted: dict[int, int] = {}  # Mobilize event id -> deleted_date
        self.fail: dict[tuple[str, int], tuple[int, dict]] = {}  # (path, page) -> (status, headers)
        self.truncate: set[tuple[str, int]] = set()
        self.delay = 0.0
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                page = int(query.get("page", ["1"])[0])
                since = int(query.get("updated_since", ["0"])[0])
                status, headers = fake.fail.get((parts.path, page), (200, {}))
                if status != 200:
                    return self._send(status, {"error": {"detail": "broken"}}, headers)
                if parts.path == f"/v1/organizations/{ORG}/events":
                    rows = [e for _, e in sorted(fake.events.items()) if e.get("modified_date", 0) >= since]
                elif parts.path == f"/v1/organizations/{ORG}/events/deleted":
                    rows = [{"id": i, "deleted_date": d} for i, d in sorted(fake.deleted.items()) if d >= since]
                else:
                    return self._send(404, {"error": {"detail": "not found"}})
                chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
                following = None
                if page * PAGE_SIZE < len(rows):
                    extra = f"&updated_since={since}" if since else ""
                    following = f"{fake.url.removesuffix('/v1')}{parts.path}?page={page + 1}{extra}"
                body = {"count": len(rows), "next": following, "previous": None, "data": chunk}
                self._send(200, body, truncated=(parts.path, page) in fake.truncate)

            def _send(self, status: int, body: dict, headers: dict | None = None, truncated: bool = False) -> None:
                data = json.dumps(body).encode()
                if truncated:
                    data = data[: len(data) // 2]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def stamp(self) -> int:
        """A modified_date now (what Mobilize sets when an event changes)."""
        return int(timezone.now().timestamp())

    def add(self, event_id: int, **changes) -> dict:
        start = timezone.now() + timedelta(days=3)
        event = {
            "id": event_id,
            "title": f"Event {event_id}",
            "description": "<p>Come along.</p>",
            "timezone": "America/New_York",
            "timeslots": [
                {
                    "id": event_id * 10 + 1,
                    "start_date": int(start.timestamp()),
                    "end_date": int(start.timestamp()) + 7200,
                }
            ],
            "location": {
                "venue": "Pollard Library",
                "address_lines": ["401 Merrimack St", ""],
                "locality": "Lowell",
                "region": "MA",
                "country": "US",
                "postal_code": "01852",
                "location": {"latitude": 42.64, "longitude": -71.31},
            },
            "event_type": "CANVASS",
            "is_virtual": False,
            "virtual_action_url": None,
            "browser_url": f"https://www.mobilize.us/indivisible/event/{event_id}/",
            "created_date": self.stamp(),
            "modified_date": self.stamp(),
            "visibility": "PUBLIC",
            "address_visibility": "PUBLIC",
            "accessibility_status": "ACCESSIBLE",
            "accessibility_notes": "Ramp at the side door.",
        }
        event.update(changes)
        self.events[event_id] = event
        return event

    def change(self, event_id: int, **changes) -> None:
        self.events[event_id].update(changes, modified_date=self.stamp() + 1)


@pytest.fixture
def fake_mobilize(settings):
    fake = FakeMobilize()
    fake.thread.start()
    settings.MOBILIZE_API_URL = fake.url
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def source(coordinator, lowell_group):
    return ImportSource.objects.create(
        name="Lowell on Mobilize", mobilize_org_id=ORG, host_group=lowell_group, acts_as=coordinator
    )


def timeslot(event_id: int, n: int, *, days: int) -> dict:
    start = int((timezone.now() + timedelta(days=days)).timestamp())
    return {"id": event_id * 10 + n, "start_date": start, "end_date": start + 3600}
