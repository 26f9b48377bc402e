"""A cross-site POST to every CSRF-exempt view: it changes no row beyond what the view's rule allows.

A view without CSRF protection can be posted by any page a visitor opens, without their cookie
and without a token. Each one here has its own proof instead, and the test holds it to it:
- the subscribe form (exempt so that pages can be cached) may only ask: a pending request and a
  mail to the address, never a change to a subscriber;
- the one-click unsubscribe (RFC 8058: mail programs post it bare) unsubscribes the holder of the
  signed token in the address, nobody else; a test copy's (to somebody who is not a subscriber)
  changes nothing at all;
- the email service's webhooks change nothing without the shared secret.
The first test lists the exempt views, so that a new one cannot appear without a rule here.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from newsletter.models import ConsentSource, Subscriber, SubscriberStatus
from newsletter.tokens import preferences_token, unsubscribe_token

pytestmark = pytest.mark.django_db

FOREIGN = {"HTTP_ORIGIN": "https://evil.example", "HTTP_REFERER": "https://evil.example/page"}
# Every row the portal keeps; the geography is loaded once and must not move either.
APPS = ["accounts", "districts", "groups", "events", "newsletter", "outbox"]
# The outbox rows of a queued mail: the one thing a request to the subscribe form may add besides itself.
MAIL_MODELS = {m._meta.label_lower for m in apps.get_app_config("outbox").get_models()}


def _exempt_views(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _exempt_views(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "csrf_exempt", False):
            # A regex route such as ``^mailgun/inbound(_mime)?/$``: its plain spelling.
            path = re.sub(r"\([^)]*\)\?", "", prefix + str(pattern.pattern)).replace("^", "").replace("$", "")
            yield f"{namespace}{pattern.name}", "/" + path


def _rows() -> dict[tuple[str, object], dict]:
    rows = {}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for values in model.objects.order_by("pk").values():
                rows[(model._meta.label_lower, values["pk" if "pk" in values else model._meta.pk.attname])] = values
    return rows


def _changes(before: dict, after: dict) -> tuple[list, list, list]:
    """(added, removed, changed) rows, each as (model label, primary key)."""
    added = [key for key in after if key not in before]
    removed = [key for key in before if key not in after]
    changed = [key for key in before if key in after and before[key] != after[key]]
    return added, removed, changed


def _cast() -> dict[str, Subscriber]:
    def make(email: str, status: SubscriberStatus, **extra) -> Subscriber:
        return Subscriber.objects.create(
            email=email,
            name=email.split("@")[0].title(),
            status=status,
            consent_at=timezone.now(),
            consent_source=ConsentSource.PAGE,
            consent_ip="203.0.113.1",
            **extra,
        )

    return {
        "pending": make("pete@example.org", SubscriberStatus.PENDING),
        "unsubscribed": make("uma@example.org", SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now()),
        "confirmed": make("bob@example.org", SubscriberStatus.CONFIRMED, confirmed_at=timezone.now()),
        "suppressed": make("sal@example.org", SubscriberStatus.CONFIRMED, suppressed=True, suppressed_reason="bounce"),
        "carol": make("carol@example.org", SubscriberStatus.CONFIRMED, confirmed_at=timezone.now()),
    }


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://portal.example.org"
    from django.core.cache import cache

    cache.clear()  # the subscribe form's rate limits


def test_the_csrf_exempt_views_are_the_subscribe_form_the_one_click_unsubscribe_and_the_webhooks():
    exempt = dict(_exempt_views())
    webhooks = {name for name in exempt if name.startswith("anymail:")}
    assert len(webhooks) > 20  # every service's tracking and inbound webhook, behind imc.webhooks.secured
    assert set(exempt) - webhooks == {
        "newsletter:subscribe",
        "newsletter:unsubscribe",
        "newsletter:test_copy_unsubscribe",
    }


def test_a_cross_site_post_to_the_test_copys_unsubscribe_changes_nothing():
    """The one-click address of a test copy sent to somebody who is not a subscriber."""
    _cast()
    before = _rows()
    response = Client(enforce_csrf_checks=True).post(
        "/newsletter/unsubscribe/test-copy/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        **FOREIGN,
    )
    assert response.status_code == 200 and "test copy" in response.content.decode()
    assert _changes(before, _rows()) == ([], [], [])


@pytest.mark.parametrize("who", ["new", "pending", "unsubscribed", "confirmed", "suppressed"])
def test_a_cross_site_post_to_the_subscribe_form_only_asks(who, django_capture_on_commit_callbacks):
    cast = _cast()
    email = "nina@example.org" if who == "new" else cast[who].email
    before = _rows()
    form = {"email": email, "name": "Mallory", "place": "Springfield", "source": "home"}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(enforce_csrf_checks=True).post("/newsletter/", form, REMOTE_ADDR="198.51.100.66", **FOREIGN)
    assert response.status_code == 302 and response["Location"] == "/newsletter/thanks/"  # the one answer

    added, removed, changed = _changes(before, _rows())
    assert removed == [] and changed == [], "a forged request changed stored rows"
    asked = [key for key in added if key[0] not in MAIL_MODELS]
    labels = sorted(label for label, _ in asked)
    if who == "new":
        # The address gets a row that holds nothing but itself; what was asked waits in the request.
        assert labels == ["newsletter.subscriber", "newsletter.subscriptionrequest"]
        new = Subscriber.objects.get(email=email)
        assert (new.status, new.name, new.town_id, new.consent_at, new.consent_ip) == (
            SubscriberStatus.PENDING,
            "",
            None,
            None,
            None,
        )
    elif who in ("pending", "unsubscribed"):
        assert labels == ["newsletter.subscriptionrequest"]
    else:
        assert labels == []  # a confirmed address gets a note; a suppressed one nothing at all
    assert [m.to for m in mail.outbox] == ([] if who == "suppressed" else [[email]])


def test_a_cross_site_one_click_unsubscribe_unsubscribes_only_the_holder_of_the_token():
    cast = _cast()
    bob, carol = cast["confirmed"], cast["carol"]
    strict = Client(enforce_csrf_checks=True)
    before = _rows()
    url = f"/newsletter/unsubscribe/{unsubscribe_token(bob.pk)}/"
    response = strict.post(url, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded", **FOREIGN)
    assert response.status_code == 200
    after = _rows()
    added, removed, changed = _changes(before, after)
    assert (added, removed, changed) == ([], [], [("newsletter.subscriber", bob.pk)])
    differ = {k for k, v in after[("newsletter.subscriber", bob.pk)].items() if before[changed[0]][k] != v}
    assert differ == {"status", "unsubscribed_at"}
    carol.refresh_from_db()
    assert carol.status == SubscriberStatus.CONFIRMED

    # Any other signed token, or none, is no proof for this address.
    before = _rows()
    for token in (preferences_token(carol.pk), f"{carol.pk}", f"{carol.pk}:forged"):
        assert strict.post(f"/newsletter/unsubscribe/{token}/", **FOREIGN).status_code == 404
    assert _changes(before, _rows()) == ([], [], [])


FORGED_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "Email": "carol@example.org",
    "Description": "forged",
    "Details": "smtp;550 5.1.1 no such user",
    "BouncedAt": "2026-03-01T10:00:00Z",
    "MessageID": "00000000-0000-0000-0000-000000000000",
    "Metadata": {},
}


@pytest.mark.parametrize("secret", [None, "user:pass"])
def test_a_cross_site_post_to_every_webhook_without_the_secret_changes_nothing(settings, secret):
    settings.ANYMAIL = {"WEBHOOK_SECRET": secret} if secret else {}
    _cast()
    strict = Client(enforce_csrf_checks=True)
    webhooks = {name: path for name, path in _exempt_views() if name.startswith("anymail:")}
    before = _rows()
    answers = {}
    for name, path in webhooks.items():
        response = strict.post(path, json.dumps(FORGED_BOUNCE), content_type="application/json", **FOREIGN)
        answers[name] = response.status_code
    assert _changes(before, _rows()) == ([], [], [])
    refused = {404} if secret is None else {400, 403, 404}
    assert {name: code for name, code in answers.items() if code not in refused} == {}

    if secret:
        # The control: with the secret the same post is believed, so the comparison above can see.
        credentials = base64.b64encode(secret.encode()).decode()
        response = strict.post(
            webhooks["anymail:postmark_tracking_webhook"],
            json.dumps(FORGED_BOUNCE),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {credentials}",
            **FOREIGN,
        )
        assert response.status_code == 200
        assert Subscriber.objects.get(email="carol@example.org").suppressed
