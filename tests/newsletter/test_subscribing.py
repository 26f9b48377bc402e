"""Subscribing: double opt-in, no enumeration, rate limits, one click for members, unsubscribe, preferences."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from newsletter.models import ConsentSource, Subscriber, SubscriberStatus
from newsletter.tokens import preferences_token, unsubscribe_token
from tests.newsletter.conftest import ma
from tests.newsletter.helpers import compose, recipients, send_all

pytestmark = pytest.mark.django_db


def _subscribe(client, capture, email="new@example.org", **extra):
    data = {"email": email, "name": "", "place": "", "source": "page", **extra}
    with capture(execute=True):
        return client.post("/newsletter/", data, REMOTE_ADDR="203.0.113.7")


def _link(body: str, kind: str) -> str:
    return re.search(rf"https://portal\.example\.org(/newsletter/{kind}/[^/\s]+/)", body).group(1)


def test_double_opt_in_only_a_confirmed_subscriber_receives_newsletters(client, django_capture_on_commit_callbacks):
    response = _subscribe(client, django_capture_on_commit_callbacks, name="Nina", place="01852", source="footer")
    assert response.status_code == 302 and response["Location"] == "/newsletter/thanks/"
    subscriber = Subscriber.objects.get(email="new@example.org")
    # Asking stores nothing about the address yet: the request waits for its owner's click.
    assert (subscriber.status, subscriber.name, subscriber.district, subscriber.consent_at) == (
        SubscriberStatus.PENDING,
        "",
        None,
        None,
    )
    [confirmation] = mail.outbox
    assert confirmation.to == ["new@example.org"] and "Confirm" in confirmation.subject
    confirm_path = _link(confirmation.body, "confirm")

    mail.outbox.clear()
    send_all(compose(), django_capture_on_commit_callbacks)
    assert mail.outbox == []  # not confirmed yet

    assert client.get(confirm_path).status_code == 200  # a link scanner's GET confirms nothing
    assert Subscriber.objects.get(pk=subscriber.pk).status == SubscriberStatus.PENDING
    client.post(confirm_path, REMOTE_ADDR="203.0.113.8")
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.confirmed_ip) == (SubscriberStatus.CONFIRMED, "203.0.113.8")
    assert (subscriber.consent_source, subscriber.consent_ip) == (ConsentSource.FOOTER, "203.0.113.7")
    assert subscriber.consent_at < subscriber.confirmed_at and subscriber.district == ma(3)  # 01852 is Lowell

    send_all(compose("Second issue"), django_capture_on_commit_callbacks)
    assert recipients() == ["new@example.org"]
    assert "Hi Nina," in mail.outbox[0].body


def test_the_form_answers_the_same_for_a_known_and_an_unknown_address(bob, client, django_capture_on_commit_callbacks):
    known = _subscribe(client, django_capture_on_commit_callbacks, email="bob@example.org")
    unknown = _subscribe(client, django_capture_on_commit_callbacks, email="nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    bob.refresh_from_db()
    assert bob.status == SubscriberStatus.CONFIRMED  # nothing changed for Bob
    by_address = {m.to[0]: m.subject for m in mail.outbox}
    assert "already subscribed" in by_address["bob@example.org"]
    assert "Confirm" in by_address["nobody@example.org"]


def test_a_suppressed_address_gets_the_same_answer_and_no_mail(client, django_capture_on_commit_callbacks):
    Subscriber.objects.create(email="bounced@example.org", suppressed=True, suppressed_reason="bounce")
    response = _subscribe(client, django_capture_on_commit_callbacks, email="bounced@example.org")
    assert response["Location"] == "/newsletter/thanks/"
    assert mail.outbox == []


def test_an_unknown_place_reenters_the_form_with_an_error_and_writes_nothing(
    client, django_capture_on_commit_callbacks
):
    response = _subscribe(client, django_capture_on_commit_callbacks, place="Atlantis")
    assert response.status_code == 400
    assert "could not find a Massachusetts town" in response.content.decode()
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_the_form_is_rate_limited_per_address(client, settings, django_capture_on_commit_callbacks):
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_ADDRESS = 3
    codes = [_subscribe(client, django_capture_on_commit_callbacks).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


def test_the_form_is_rate_limited_per_ip(client, settings, django_capture_on_commit_callbacks):
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP = 2
    codes = [
        _subscribe(client, django_capture_on_commit_callbacks, email=f"n{i}@example.org").status_code for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert not Subscriber.objects.filter(email="n2@example.org").exists()


def test_the_subscribe_form_is_on_the_home_page_the_footer_and_the_newsletter_page(client):
    home = client.get("/").content.decode()
    # One form on the home page: its own panel; the footer points to it instead of repeating it.
    assert 'value="home"' in home and 'value="footer"' not in home
    assert 'id="id_home_email"' in home and 'href="#home-newsletter-heading"' in home
    page = client.get("/newsletter/").content.decode()
    assert 'name="email"' in page and 'value="page"' in page
    about = client.get("/about/").content.decode()
    assert 'value="footer"' in about


def test_a_signed_in_member_subscribes_with_one_click_and_manages_it_on_the_profile(client, activist):
    client.force_login(activist)
    assert "Subscribe as alice@example.org" in client.get("/accounts/profile/").content.decode()
    response = client.post("/newsletter/member/", {"action": "subscribe", "next": "/accounts/profile/"})
    assert response.status_code == 302
    subscriber = Subscriber.objects.get(email="alice@example.org")
    assert (subscriber.status, subscriber.consent_source, subscriber.user) == (
        SubscriberStatus.CONFIRMED,
        ConsentSource.MEMBER,
        activist,
    )
    assert subscriber.district == ma(3)  # from her home town, Lowell
    profile = client.get("/accounts/profile/").content.decode()
    assert "You receive the newsletter" in profile and preferences_token(subscriber.pk) in profile
    client.post("/newsletter/member/", {"action": "unsubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED


def test_the_one_click_member_subscription_needs_a_signed_in_member(client):
    response = client.post("/newsletter/member/", {"action": "subscribe"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Subscriber.objects.exists()


def test_unsubscribe_get_shows_a_button_and_unsubscribes_nobody(bob, client):
    response = client.get(f"/newsletter/unsubscribe/{unsubscribe_token(bob.pk)}/")
    assert response.status_code == 200 and "Unsubscribe me" in response.content.decode()
    bob.refresh_from_db()
    assert bob.status == SubscriberStatus.CONFIRMED


def test_one_click_post_unsubscribes_without_login_cookie_or_csrf_token(bob, carol, django_capture_on_commit_callbacks):
    send_all(compose(), django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    url = re.match(r"<([^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        url.replace("https://portal.example.org", ""),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.status == SubscriberStatus.UNSUBSCRIBED and bob.unsubscribed_at is not None
    mail.outbox.clear()
    send_all(compose("Next"), django_capture_on_commit_callbacks)
    assert recipients() == ["carol@example.org"]


@pytest.mark.parametrize("token", ["1:forged", "abc", f"{1}"])
def test_a_forged_unsubscribe_token_changes_nothing(bob, client, token):
    response = client.post(f"/newsletter/unsubscribe/{token}/")
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.status == SubscriberStatus.CONFIRMED


def test_the_preferences_link_in_every_email_changes_name_and_district(bob, client, django_capture_on_commit_callbacks):
    send_all(compose(), django_capture_on_commit_callbacks)
    path = _link(mail.outbox[0].body, "preferences")
    assert "bob@example.org" in client.get(path).content.decode()
    response = client.post(path, {"name": "Robert", "place": "Springfield"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.name, bob.district) == ("Robert", ma(1))
    bad = client.post(path, {"name": "Robert", "place": "Nowhere-ville"})
    assert bad.status_code == 400
    bob.refresh_from_db()
    assert bob.district == ma(1)


def test_a_preferences_token_cannot_be_used_to_unsubscribe_somebody(bob, client):
    response = client.post(f"/newsletter/unsubscribe/{preferences_token(bob.pk)}/")
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.status == SubscriberStatus.CONFIRMED


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"])
def test_the_one_click_subscription_never_redirects_off_site(client, activist, target):
    client.force_login(activist)
    response = client.post("/newsletter/member/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


# --- A forged, cookieless cross-site POST may only ask: "Trust, again" (4) --------------------------


def _forged(capture, email: str, **extra):
    """What a hostile page can make a visitor's browser send: no cookie, no token, a foreign Origin."""
    data = {"email": email, "name": "Mallory", "place": "Springfield", "source": "home", **extra}
    with capture(execute=True):
        return Client(enforce_csrf_checks=True).post(
            "/newsletter/", data, HTTP_ORIGIN="https://evil.example", REMOTE_ADDR="198.51.100.66"
        )


def _stored(subscriber: Subscriber) -> dict:
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    return {f.attname: getattr(subscriber, f.attname) for f in Subscriber._meta.concrete_fields}


@pytest.mark.parametrize("who", ["pete", "uma", "bob"])
def test_a_forged_post_changes_nothing_stored_for_a_pending_an_unsubscribed_or_a_confirmed_subscriber(
    request, who, django_capture_on_commit_callbacks
):
    subscriber = request.getfixturevalue(who)
    before = _stored(subscriber)
    response = _forged(django_capture_on_commit_callbacks, subscriber.email)
    assert response.status_code == 302 and response["Location"] == "/newsletter/thanks/"
    assert _stored(subscriber) == before  # name, town, district, status and consent as they were
    [message] = mail.outbox
    assert message.to == [subscriber.email]  # at most a mail to the address itself


def test_the_note_to_a_confirmed_subscriber_greets_them_by_their_own_name(bob, django_capture_on_commit_callbacks):
    _forged(django_capture_on_commit_callbacks, "bob@example.org")
    [message] = mail.outbox
    assert "already subscribed" in message.subject
    assert message.body.startswith("Hello Bob,") and "Mallory" not in message.body


def test_an_old_confirmation_link_replayed_after_an_unsubscribe_does_not_subscribe_again(
    client, django_capture_on_commit_callbacks
):
    _subscribe(client, django_capture_on_commit_callbacks, name="Nina", place="Lowell")
    confirm_path = _link(mail.outbox[0].body, "confirm")
    client.post(confirm_path)
    subscriber = Subscriber.objects.get(email="new@example.org")
    assert subscriber.status == SubscriberStatus.CONFIRMED
    client.post(f"/newsletter/unsubscribe/{unsubscribe_token(subscriber.pk)}/")
    unsubscribed = _stored(subscriber)
    assert unsubscribed["status"] == SubscriberStatus.UNSUBSCRIBED

    # The forger asks again with their details, then replays the link they saw (or guessed was kept).
    mail.outbox.clear()
    _forged(django_capture_on_commit_callbacks, "new@example.org")
    assert _stored(subscriber) == unsubscribed
    assert client.post(confirm_path).status_code == 404  # even with a CSRF token, as a forger can fetch one
    assert _stored(subscriber) == unsubscribed  # still unsubscribed, still Nina of Lowell
    assert client.get(confirm_path).status_code == 404


def test_a_link_that_was_never_used_is_dead_after_an_unsubscribe(uma, client, django_capture_on_commit_callbacks):
    _subscribe(client, django_capture_on_commit_callbacks, email="uma@example.org", name="Uma")
    confirm_path = _link(mail.outbox[0].body, "confirm")
    client.post(f"/newsletter/unsubscribe/{unsubscribe_token(uma.pk)}/")  # "it was not me, stop"
    before = _stored(uma)
    assert client.post(confirm_path).status_code == 404
    assert _stored(uma) == before and before["status"] == SubscriberStatus.UNSUBSCRIBED


def test_a_confirmation_link_works_once(client, django_capture_on_commit_callbacks):
    _subscribe(client, django_capture_on_commit_callbacks, name="Nina")
    confirm_path = _link(mail.outbox[0].body, "confirm")
    assert client.post(confirm_path).status_code == 200
    confirmed = _stored(Subscriber.objects.get(email="new@example.org"))
    assert confirmed["status"] == SubscriberStatus.CONFIRMED
    assert client.get(confirm_path).status_code == 404
    assert client.post(confirm_path, REMOTE_ADDR="198.51.100.66").status_code == 404
    assert _stored(Subscriber.objects.get(email="new@example.org")) == confirmed


def test_confirming_applies_exactly_the_details_and_consent_of_the_request_confirmed(
    pete, client, django_capture_on_commit_callbacks
):
    _subscribe(client, django_capture_on_commit_callbacks, email="pete@example.org", name="Pete", place="01852")
    _forged(django_capture_on_commit_callbacks, "pete@example.org")  # Mallory of Springfield, from the home form
    own, forged = (_link(m.body, "confirm") for m in mail.outbox)
    assert _stored(pete)["name"] == ""  # asking changed nothing yet

    page = client.get(own).content.decode()
    assert "Pete" in page and "Lowell" in page and "Mallory" not in page  # the page shows what is confirmed
    client.post(own, REMOTE_ADDR="203.0.113.8")
    pete.refresh_from_db()
    assert (pete.status, pete.name, pete.town.name, pete.district) == (
        SubscriberStatus.CONFIRMED,
        "Pete",
        "Lowell",
        ma(3),
    )
    assert (pete.consent_source, pete.consent_ip, pete.confirmed_ip) == (
        ConsentSource.PAGE,
        "203.0.113.7",
        "203.0.113.8",
    )
    confirmed = _stored(pete)
    assert client.post(forged).status_code == 404  # the other request died with this confirmation
    assert _stored(pete) == confirmed


def test_a_signed_in_member_posting_next_profile_lands_on_the_profile(client, activist):
    client.force_login(activist)
    response = client.post("/newsletter/member/", {"action": "subscribe", "next": "profile"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert Subscriber.objects.get(email="alice@example.org").status == SubscriberStatus.CONFIRMED


@pytest.mark.parametrize("target", ["admin:index", "newsletter:member", "no-such-page", "accounts:profile"])
def test_an_unknown_next_goes_to_the_profile_and_a_path_on_the_site_is_kept(client, activist, target):
    client.force_login(activist)
    assert client.post("/newsletter/member/", {"next": target})["Location"] == "/accounts/profile/"
    assert client.post("/newsletter/member/", {"next": "/newsletter/"})["Location"] == "/newsletter/"


def test_the_daily_purge_forgets_addresses_that_never_confirmed_and_requests_past_their_link(bob, monkeypatch):
    """A typed address that was never confirmed is nobody's consent: once its link can no longer
    work, the request and the pending address go. Confirmed, unsubscribed and suppressed
    addresses stay (suppression must outlive everything); so does anything still confirmable."""
    from datetime import timedelta

    from django.utils import timezone

    from newsletter import services, tasks
    from newsletter.models import SubscriptionRequest
    from newsletter.tokens import CONFIRM_MAX_AGE_SECONDS

    old = timezone.now() - timedelta(seconds=CONFIRM_MAX_AGE_SECONDS + 60)

    def ask(email, when):
        services.subscriber_request(email=email, source=ConsentSource.PAGE, ip=None)
        SubscriptionRequest.objects.filter(subscriber__email=email).update(created_at=when)
        Subscriber.objects.filter(email=email).update(created_at=when)

    ask("stranger@example.org", old)  # typed by somebody else, never confirmed
    ask("recent@example.org", timezone.now())  # still confirmable
    # A confirmed subscriber's request, long used.
    SubscriptionRequest.objects.create(subscriber=bob, source=ConsentSource.PAGE, status="confirmed", created_at=old)
    bounced = Subscriber.objects.create(email="bounced@example.org", suppressed=True)
    Subscriber.objects.filter(pk=bounced.pk).update(created_at=old)
    gone = Subscriber.objects.create(email="gone@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=gone.pk).update(created_at=old)

    assert tasks.purge_requests() == {"requests": 2, "subscribers": 1}
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        bob.email,
        "recent@example.org",
        "bounced@example.org",
        "gone@example.org",
    }
    assert list(SubscriptionRequest.objects.values_list("subscriber__email", flat=True)) == ["recent@example.org"]
    assert tasks.purge_requests() == {"requests": 0, "subscribers": 0}


def test_the_purge_runs_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["newsletter-purge-requests"]
    assert entry["task"] == "newsletter.tasks.purge_requests" and entry["schedule"] == 24 * 3600.0
