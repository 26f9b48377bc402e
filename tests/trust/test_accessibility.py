"""axe-core (from the npm registry, injected by Playwright) finds no WCAG 2.2 A/AA violation on
any page a visitor, a member, an organizer or a coordinator opens, nor on the
forms sent back with their errors, at desktop and phone widths.

``/accounts/data/`` is a JSON download, not a page; the admin pages each role opens are walked
in tests/foundation/test_accessibility.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.realstack import require

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

PUBLIC_PAGES = [
    "/",
    "/about/",
    "/privacy/",
    "/find/",
    "/find/?q=Boston",
    "/find/?q=Narnia",
    "/find/?q=Boston&ward=3&precinct=1",
    "/find/?q=Boston&ward=99&precinct=1",
    "/districts/",
    "/districts/ma-3/",
    "/districts/state-house/",
    "/districts/state-senate/first-suffolk/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
MEMBER_PAGES = [
    "/accounts/profile/", "/accounts/profile/edit/", "/accounts/password/change/", "/accounts/email/",
    "/accounts/delete/",
]  # fmt: skip


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def check_pages(
    browser, base_url: str, paths: list[str], viewport: str, login=None, submit_empty: bool = False
) -> dict[str, list]:
    """axe's violations per path (none: an empty dict). With ``submit_empty`` the page's main form
    is sent as it is (browser validation off) and the answer, with its errors, is checked."""
    require(AXE.exists(), "axe-core is not installed (npm ci)")
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    if login:
        login(page)
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status < 500, path
        # A signed-in page that sent us to the login form would check the wrong page.
        assert login is None or "/accounts/login/" not in page.url, (path, page.url)
        if submit_empty:
            form = page.locator("main form[method=post]").last
            form.evaluate("(form) => { form.noValidate = true; }")
            with page.expect_navigation():
                form.locator("[type=submit]").last.click()
            assert "error" in page.content().lower() or "invalid" in page.content().lower(), path
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    context.close()
    return found


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_pages_have_no_axe_violations(chromium, live_server, viewport):
    found = check_pages(chromium, live_server.url, PUBLIC_PAGES, viewport)
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_member_pages_have_no_axe_violations(chromium, live_server, activist, client, viewport):
    client.force_login(activist)
    cookie = client.cookies["sessionid"].value

    def login(page):
        page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])

    found = check_pages(chromium, live_server.url, MEMBER_PAGES, viewport, login=login)
    assert found == {}, json.dumps(found, indent=1)


@pytest.fixture
def whole_site(lowell_group, organizer, activist, coordinator, team, django_capture_on_commit_callbacks):
    """One of everything a page can show: a group with a member, a published event with an RSVP,
    a sent newsletter and a subscriber, a team with a volunteer."""
    from datetime import timedelta

    from django.utils import timezone

    from events import services as event_services
    from events.models import Event, EventStatus
    from events.reminders import cant_come_token
    from groups import services as group_services
    from newsletter import services as newsletter_services
    from newsletter import tokens
    from newsletter.models import ConsentSource, Subscriber, SubscriberStatus, SubscriptionRequest

    group_services.membership_join(user=activist, group=lowell_group)
    group_services.team_volunteer(user=activist, team=team, message="Phone banking")
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    event = Event.objects.create(
        slug="town-hall", title="Town hall", host_group=lowell_group, starts_at=start,
        ends_at=start + timedelta(hours=2), town=lowell_group.home_town, district=lowell_group.district,
        status=EventStatus.PUBLISHED, description="**Come** with [questions](https://example.org).",
        accessibility=["asl"], capacity=10,
    )  # fmt: skip
    rsvp = event_services.rsvp_create(event=event, user=activist)
    subscriber = Subscriber.objects.create(
        email="reader@example.org", name="Reader", status=SubscriberStatus.CONFIRMED,
        consent_at=timezone.now(), consent_source=ConsentSource.PAGE, confirmed_at=timezone.now(),
    )  # fmt: skip
    asking = SubscriptionRequest.objects.create(
        subscriber=Subscriber.objects.create(email="asking@example.org"), name="Asker", town=lowell_group.home_town,
        source=ConsentSource.PAGE,
    )  # fmt: skip
    issue = newsletter_services.newsletter_save(
        by=coordinator, subject="Spring update", preheader="What we did", audience_all=True, districts=[],
        body_markdown="Hello **everyone**. Read [our plan](https://example.org).", include_events=False,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        newsletter_services.newsletter_send_now(newsletter=issue, by=coordinator)
    issue.refresh_from_db()
    draft = newsletter_services.newsletter_save(
        by=coordinator, subject="Draft", preheader="", audience_all=True, districts=[], body_markdown="Draft *text*.",
        include_events=True,
    )  # fmt: skip
    group, slug = lowell_group.get_absolute_url(), event.slug
    return {
        "visitor": [
            "/groups/", "/groups/?zip=01852", "/groups/?town=Narnia", group, f"{group}contact/",
            "/groups/confirm/not-a-token/", "/teams/", f"/teams/{team.slug}/", f"/teams/{team.slug}/contact/",
            "/events/", "/events/?zip=99999", "/events/?zip=01852&distance=25&type=rally",
            f"/events/calendar/?month={start:%Y-%m}", f"/events/{slug}/", f"/events/cant-come/{cant_come_token(rsvp)}/",
            "/newsletter/", "/newsletter/thanks/", f"/newsletter/{issue.slug}/",
            f"/newsletter/confirm/{tokens.confirm_token(asking.pk)}/", "/newsletter/confirm/bad-token/",
            f"/newsletter/preferences/{tokens.preferences_token(subscriber.pk)}/",
            f"/newsletter/unsubscribe/{tokens.unsubscribe_token(subscriber.pk)}/", "/no-such-page/",
        ],
        "member": [
            group, f"{group}claim/", "/groups/submit/", f"/teams/{team.slug}/", f"/events/{slug}/", "/newsletter/",
            "/accounts/profile/", "/accounts/delete/",
        ],
        "organizer": [
            group, f"{group}edit/", f"{group}members/", "/events/new/", f"/events/{slug}/edit/",
            f"/events/{slug}/attendees/", f"/events/{slug}/cancel/", "/accounts/profile/",
        ],
        "coordinator": [
            f"/teams/{team.slug}/", "/newsletter/staff/", "/newsletter/staff/new/", f"/newsletter/staff/{draft.pk}/",
            f"/newsletter/staff/{issue.pk}/", f"/newsletter/staff/{draft.pk}/send/",
        ],
    }  # fmt: skip


# Forms sent empty: the page that comes back shows the errors, and must be as usable.
FORMS_WITH_ERRORS = {
    "visitor": ["/newsletter/", "/accounts/signup/", "/accounts/login/"],
    "member": ["/groups/submit/", "/accounts/delete/"],
    "organizer": ["/events/new/"],
}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_and_form_of_the_site_has_no_axe_violations(
    chromium,
    live_server,
    whole_site,
    activist,
    organizer,
    coordinator,
    login_cookie,
    viewport,
):
    people = {"visitor": None, "member": activist, "organizer": organizer, "coordinator": coordinator}
    found = {}
    for role, user in people.items():
        login = None
        if user is not None:
            name, value = login_cookie(user)

            def login(page, name=name, value=value):
                page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])

        found |= {f"{role} {path}": v for path, v in
                  check_pages(chromium, live_server.url, whole_site[role], viewport, login=login).items()}  # fmt: skip
        if role in FORMS_WITH_ERRORS:
            found |= {f"{role} {path} (sent empty)": v for path, v in
                      check_pages(chromium, live_server.url, FORMS_WITH_ERRORS[role], viewport, login=login,
                                  submit_empty=True).items()}  # fmt: skip
    assert found == {}, json.dumps(found, indent=1)
