"""Every link the admin shows a staff member opens for them.

From the admin pages a rep or a coordinator may open (``admin_world.admin_pages``, derived from the
admin site's registry), the crawler follows every ``/admin/`` link on every page it reaches, as
the same person, with GET only (logging out aside), and each must answer a page or a redirect:
a link the person may not open (a user's account, another district's group) must not be drawn.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.foundation.admin_world import ADMIN_ROLES, admin_pages, admin_world

pytestmark = pytest.mark.django_db

SKIP = {"/admin/logout/"}
PER_KIND = 4


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def admin_links(page: str, html: str) -> list[str]:
    """The admin addresses this page links to, query strings kept."""
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        parts = urlsplit(urljoin("http://testserver" + page, href))
        if parts.netloc == "testserver" and parts.path.startswith("/admin/") and parts.path not in SKIP:
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def kind_of(path: str) -> str:
    """The page's kind: its address with the ids taken out (``/admin/districts/town/<id>/change/``)."""
    return re.sub(r"/\d+/", "/<id>/", path)


def crawl(client, start: list[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Status of every admin address reached from ``start``, and which pages link to each.

    A changelist links to itself under many query strings (sorting, filters, pages): each path is
    followed with the first query string seen for it, and with none. Each kind of page is opened
    for at most ``PER_KIND`` objects: the reference tables hold hundreds of towns and ZIP codes
    whose pages differ only in their data, while the world's groups, events and claims, whose
    pages differ by who may see them, are fewer than that.
    """
    status: dict[str, int] = {}
    linked_from: dict[str, list[str]] = {}
    seen_paths: set[str] = {link.split("?", 1)[0] for link in start}
    per_kind = Counter(kind_of(path) for path in seen_paths)
    queue = deque(start)
    while queue:
        url = queue.popleft()
        if url in status:
            continue
        response = client.get(url)
        status[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in admin_links(url, response.content.decode()):
            linked_from.setdefault(link, []).append(url)
            path = link.split("?", 1)[0]
            if path not in seen_paths and per_kind[kind_of(path)] < PER_KIND:
                seen_paths.add(path)
                per_kind[kind_of(path)] += 1
                queue.extend([path, link] if link != path else [path])
    return status, linked_from


@pytest.fixture
def world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks):
    return admin_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_every_admin_link_a_staff_member_sees_opens_for_them(role, world, staff_client_factory):
    user = world.users[role]
    client = staff_client_factory(user)
    start = admin_pages(user, world.objects)
    status, linked_from = crawl(client, start)

    unopened = [p for p in start if status[p] != 200]
    assert not unopened, f"pages the registry says {role} may open but which do not open: {unopened}"
    # The crawl saw far more than its starting pages (proof that it follows the links it finds).
    assert len(status) > 2 * len(start), (len(status), len(start))
    refused = {url: code for url, code in status.items() if code >= 400}
    assert not refused, "\n".join(
        [f"links {role} is shown but may not open:"]
        + [f"{code} {url}  (linked from {sorted(set(linked_from.get(url, [])))[:3]})" for url, code in refused.items()]
    )


def test_the_crawler_sees_a_refused_link(world, staff_client_factory):
    """Control: a page linking to an address the rep may not open is reported, not skipped."""
    rep = world.users["rep"]
    client = staff_client_factory(rep)
    user_page = f"/admin/accounts/user/{world.users['member'].pk}/change/"
    assert admin_links("/admin/", f'<a href="{user_page}">x</a><a href="/admin/logout/">out</a>') == [user_page]
    status, _ = crawl(client, [user_page])
    assert status == {user_page: 403}


def _links_on(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return admin_links(url, response.content.decode())


def test_a_read_only_relation_is_a_link_only_for_those_who_may_open_it(world, staff_client_factory):
    rep, coordinator = world.users["rep"], world.users["coordinator"]
    group = world.objects["groups.group"]
    group_page = f"/admin/groups/group/{group.pk}/change/"
    submitter_page = f"/admin/accounts/user/{group.submitted_by.pk}/change/"
    district_page = f"/admin/districts/district/{group.district.pk}/change/"

    as_rep = staff_client_factory(rep)
    # The rep moderates the group: its district is a link (they may open it), its submitter a name.
    assert district_page in _links_on(as_rep, group_page)
    assert submitter_page not in _links_on(as_rep, group_page)
    assert str(group.submitted_by) in as_rep.get(group_page).content.decode()
    # Coordinators manage accounts: for them the same field links to the account.
    assert submitter_page in _links_on(staff_client_factory(coordinator), group_page)


def test_the_delete_page_links_only_the_rows_the_coordinator_may_open(world, staff_client_factory):
    coordinator, member = world.users["coordinator"], world.users["member"]
    client = staff_client_factory(coordinator)
    delete_page = f"/admin/accounts/user/{member.pk}/delete/"
    links = _links_on(client, delete_page)
    # RSVPs are the coordinators' to read; email addresses are superusers' only, named in text.
    rsvp = world.objects["events.rsvp"]
    assert f"/admin/events/rsvp/{rsvp.pk}/change/" in links
    address = world.objects["account.emailaddress"]
    assert f"/admin/account/emailaddress/{address.pk}/change/" not in links
    assert f"Email address: {address.email}" in client.get(delete_page).content.decode()
