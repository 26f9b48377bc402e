"""Coordinators' pages and the public archive; outsiders are refused."""

from __future__ import annotations

import pytest
from django.core import mail

from newsletter.models import Newsletter, NewsletterStatus
from tests.newsletter.conftest import ma
from tests.newsletter.helpers import compose, recipients, send_all

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    ("get", "/newsletter/staff/"),
    ("get", "/newsletter/staff/new/"),
    ("get", "/newsletter/staff/{pk}/"),
    ("get", "/newsletter/staff/{pk}/email/"),
    ("get", "/newsletter/staff/{pk}/progress.json"),
    ("get", "/newsletter/staff/{pk}/send/"),
    ("post", "/newsletter/staff/{pk}/send/"),
    ("post", "/newsletter/staff/{pk}/test/"),
    ("post", "/newsletter/staff/{pk}/pause/"),
    ("post", "/newsletter/staff/preview/"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
@pytest.mark.parametrize("who", ["activist", "rep_ma3"])
def test_only_coordinators_may_open_the_newsletter_staff_pages(
    client, staff_client_factory, request, who, method, path, bob
):
    newsletter = compose()
    user = request.getfixturevalue(who)
    if user.is_staff:
        client = staff_client_factory(user)  # even with a second factor, a rep is refused
    else:
        client.force_login(user)
    response = getattr(client, method)(path.format(pk=newsletter.pk), {"confirm": "yes"} if method == "post" else None)
    assert response.status_code == 403
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.DRAFT
    assert mail.outbox == []


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/newsletter/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_coordinator_composes_previews_and_sends_after_confirming_the_count(
    staff_client, bob, carol, dan, django_capture_on_commit_callbacks
):
    response = staff_client.post(
        "/newsletter/staff/new/",
        {
            "subject": "March news",
            "preheader": "Town halls",
            "body_markdown": "# Hello\n\nSee *you*.",
            "districts": [ma(3).pk, ma(1).pk],
        },
    )
    newsletter = Newsletter.objects.get(subject="March news")
    assert response["Location"] == f"/newsletter/staff/{newsletter.pk}/"
    page = staff_client.get(response["Location"]).content.decode()
    assert "Hi Cora," in page  # the plain-text preview: the test copy the coordinator would get
    frame = staff_client.get(f"/newsletter/staff/{newsletter.pk}/email/")
    assert "<em>you</em>" in frame.content.decode() and "frame-ancestors 'self'" in frame["Content-Security-Policy"]
    confirm = staff_client.get(f"/newsletter/staff/{newsletter.pk}/send/").content.decode()
    assert "Yes, send to 2 recipients" in confirm  # Bob (MA-3) and Carol (MA-1), not Dan
    # Without the confirmation field nothing is sent.
    staff_client.post(f"/newsletter/staff/{newsletter.pk}/send/")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/newsletter/staff/{newsletter.pk}/send/", {"confirm": "yes"})
    assert recipients() == ["bob@example.org", "carol@example.org"]
    progress = staff_client.get(f"/newsletter/staff/{newsletter.pk}/progress.json").json()
    assert progress == {
        "status": "sent", "status_label": "Sent", "total": 2, "sent": 2, "failed": 0, "skipped": 0,
        "remaining": 0, "percent": 100,
    }  # fmt: skip
    report_page = staff_client.get(f"/newsletter/staff/{newsletter.pk}/").content.decode()
    assert 'id="report-delivered">2<' in report_page


def test_an_empty_body_reenters_the_form_with_an_error(staff_client):
    response = staff_client.post("/newsletter/staff/new/", {"subject": "Empty", "body_markdown": "  "})
    assert response.status_code == 400
    assert "Write the body" in response.content.decode()
    assert not Newsletter.objects.exists()


def test_the_live_preview_returns_inlined_html_and_the_text_part(staff_client):
    response = staff_client.post(
        "/newsletter/staff/preview/", {"subject": "Draft", "body_markdown": "**Hi** <img src=x onerror=alert(1)>"}
    )
    data = response.json()
    assert "<strong>Hi</strong>" in data["html"] and "onerror" not in data["html"]
    assert 'style="' in data["html"]
    assert "Hi Cora," in data["text"] and "<strong>" not in data["text"]


def test_send_a_test_to_me_from_the_page(staff_client, bob, django_capture_on_commit_callbacks):
    newsletter = compose()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/newsletter/staff/{newsletter.pk}/test/")
    assert recipients() == ["cora@example.org"]


def test_schedule_pause_resume_and_cancel_from_the_page(staff_client, bob, django_capture_on_commit_callbacks):
    newsletter = compose()
    staff_client.post(f"/newsletter/staff/{newsletter.pk}/schedule/", {"when": "2999-01-01T09:00"})
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SCHEDULED
    bad = staff_client.post(f"/newsletter/staff/{newsletter.pk}/schedule/", {"when": "2001-01-01T09:00"})
    assert bad.status_code == 302
    newsletter.refresh_from_db()
    assert newsletter.scheduled_at.year == 2999
    staff_client.post(f"/newsletter/staff/{newsletter.pk}/cancel/")
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.CANCELLED
    assert mail.outbox == []
    # A cancelled issue cannot be resumed or paused: the page says so, nothing changes.
    staff_client.post(f"/newsletter/staff/{newsletter.pk}/resume/")
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.CANCELLED


def test_the_public_archive_shows_sent_issues_without_any_personal_part(
    client, bob, django_capture_on_commit_callbacks
):
    draft = compose("Secret draft")
    sent = send_all(compose("Public issue", body="Our **news**."), django_capture_on_commit_callbacks)
    page = client.get(f"/newsletter/{sent.slug}/").content.decode()
    assert "<strong>news</strong>" in page
    assert "Hi Bob" not in page and "unsubscribe/" not in page and "preferences/" not in page
    assert client.get(f"/newsletter/{draft.slug}/").status_code == 404
    listing = client.get("/newsletter/").content.decode()
    assert "Public issue" in listing and "Secret draft" not in listing
    feed = client.get("/newsletter/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "Public issue" in body and "Secret draft" not in body and "Bob" not in body


def test_coordinators_see_newsletters_in_the_admin_and_reps_do_not(staff_client_factory, coordinator, rep_ma3):
    compose()
    assert staff_client_factory(coordinator).get("/admin/newsletter/newsletter/").status_code == 200
    rep = staff_client_factory(rep_ma3)
    assert rep.get("/admin/newsletter/newsletter/").status_code == 403
    assert rep.get("/admin/newsletter/subscriber/").status_code == 403


def test_a_coordinator_without_a_second_factor_is_sent_to_set_one_up(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/newsletter/staff/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
