"""The newsletter archive's Atom feed, read by a parser nobody here wrote (feedparser) and by XML.

RFC 4287 §4.1.1: a feed MUST carry an atom:author unless every entry does; a feed read outside
the portal has no page to resolve a relative link against, so every link is absolute.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import pytest

from tests.newsletter.helpers import compose, send_all

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
BODY = "[Find a group](/groups/), [the calendar](events/) and [our friends](https://example.org/x?a=1&b=2)."


@pytest.fixture
def feed(settings, client, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://portal.example.org"
    send_all(compose("Spring update", body=BODY), django_capture_on_commit_callbacks)
    send_all(compose("Summer update", body="Plain words only."), django_capture_on_commit_callbacks)
    response = client.get("/newsletter/feed/")
    assert response.status_code == 200
    return response.content


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def test_feedparser_reads_the_feed_without_complaint_and_finds_an_author(feed):
    parsed = feedparser.parse(feed)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Summer update", "Spring update"]  # control: it sees the entries
    assert parsed.feed.author_detail.name == "Indivisible Mass Coalition"
    assert all(entry.author_detail.name == "Indivisible Mass Coalition" for entry in parsed.entries)


def test_every_link_of_the_feed_and_of_its_summaries_is_absolute(feed):
    parsed = feedparser.parse(feed)
    hrefs = [link.href for link in parsed.feed.links] + [link.href for e in parsed.entries for link in e.links]
    # feedparser resolves relative links itself, so read the summaries as written too.
    raw = [e.summary for e in parsed.entries]
    summary_hrefs = [h for html in raw for h in re.findall(r'href="([^"]+)"', html)]
    assert "https://portal.example.org/groups/" in summary_hrefs  # control: the summary's links are there
    assert any(h.startswith("https://example.org/x?a=1") for h in summary_hrefs)  # others' links kept
    for href in hrefs + summary_hrefs:
        assert _absolute(href), href
    root = ElementTree.fromstring(feed)
    for summary in root.iter(f"{ATOM}summary"):
        for href in re.findall(r'(?:href|src)="([^"]*)"', summary.text or ""):
            assert _absolute(href), href
    for element in root.iter():
        if element.tag in {f"{ATOM}id", f"{ATOM}uri"}:
            assert (element.text or "").startswith("https://portal.example.org/"), element.text


def test_the_feed_names_the_coalition_as_atom_author(feed):
    root = ElementTree.fromstring(feed)
    authors = root.findall(f"{ATOM}author")
    assert len(authors) == 1
    assert authors[0].findtext(f"{ATOM}name") == "Indivisible Mass Coalition"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert all(entry.find(f"{ATOM}author/{ATOM}name") is not None for entry in entries)
