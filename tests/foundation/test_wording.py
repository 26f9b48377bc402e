"""What the portal says, in its own voice and correct: the moderation messages, the first private
feed, allauth's pages and emails, and one newsletter form on the home page."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from groups.models import GroupStatus
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# allauth's stock sentences: none may reach a member.
STOCK = (
    "Hello from",
    "Thank you for using",
    "You're receiving this email",
    "You are receiving this email",
    "Please confirm that",
    "is an email address for user",
    "Please Confirm Your Email Address",
    "Password Reset Email",
    "Account Already Exists",
    "Unknown Account",
    "our database",
)


def _stock_in(text: str) -> list[str]:
    return [sentence for sentence in STOCK if sentence.lower() in text.lower()]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_rejecting_a_group_in_the_admin_says_rejected(staff_client_factory, rep_ma3, make_group):
    group = make_group("Dracut Rising", ("Dracut",), status=GroupStatus.PENDING)
    client = staff_client_factory(rep_ma3)
    url = reverse("admin:groups_group_decide", args=[group.pk, "reject"])
    response = client.post(url, {"apply": "1", "reason": "Not a local group."}, follow=True)
    assert "Rejected 1 group." in _messages(response)


def test_approving_and_archiving_still_read_right(staff_client_factory, coordinator, make_group):
    client = staff_client_factory(coordinator)
    group = make_group("Dracut Rising", ("Dracut",), status=GroupStatus.PENDING)
    for decision, said in (("approve", "Approved 1 group."), ("archive", "Archived 1 group.")):
        url = reverse("admin:groups_group_decide", args=[group.pk, decision])
        assert said in _messages(client.post(url, {"apply": "1", "reason": "Checked."}, follow=True))


def test_the_approve_form_does_not_say_the_reason_is_required(staff_client_factory, rep_ma3, make_group):
    group = make_group("Dracut Rising", ("Dracut",), status=GroupStatus.PENDING)
    page = staff_client_factory(rep_ma3).get(reverse("admin:groups_group_decide", args=[group.pk, "approve"]))
    assert page.status_code == 200
    assert "Required to reject" not in page.content.decode()


def test_the_first_private_feed_does_not_speak_of_an_old_address(client, activist):
    client.force_login(activist)
    first = client.post(reverse("events:member_feed_reset"), follow=True)
    assert not any("old one" in m for m in _messages(first)), _messages(first)
    assert any("calendar feed" in m for m in _messages(first))
    second = client.post(reverse("events:member_feed_reset"), follow=True)
    assert "Your calendar feed has a new address; the old one no longer works." in _messages(second)


def test_the_email_confirmation_page_speaks_in_the_portal_s_voice(client, activist):
    address = EmailAddress.objects.create(user=activist, email="alice.new@example.org", verified=False)
    key = EmailConfirmationHMAC(address).key
    page = client.get(reverse("account_confirm_email", args=[key])).content.decode()
    assert "alice.new@example.org" in page
    assert not _stock_in(page), _stock_in(page)
    assert "Is alice.new@example.org your address?" in page


def test_the_check_your_email_page_speaks_in_the_portal_s_voice(client):
    page = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "Check your email" in page
    assert "Please contact us" not in page and "finalize the signup process" not in page


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    # allauth sends one confirmation per address every 3 minutes and counts sign-ups per client
    # address, in the cache: another test's sign-up of the same address would silence this one.
    cache.clear()

    def post(client: Client, path: str, data: dict):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(path, data)
        assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
        return mail.outbox[0]

    return post


def test_allauth_s_emails_speak_in_the_portal_s_voice(send, activist):
    signup = {"password1": PASSWORD, "password2": PASSWORD}
    sent = {
        "signup": send(Client(), "/accounts/signup/", {"email": "newbie@example.org", **signup}),
        "taken": send(Client(), "/accounts/signup/", {"email": activist.email, **signup}),
        "reset": send(Client(), "/accounts/password/reset/", {"email": activist.email}),
        "unknown": send(Client(), "/accounts/password/reset/", {"email": "nobody@example.org"}),
    }
    links = {
        "signup": r"/accounts/confirm-email/[^/\s]+/",
        "taken": r"/accounts/password/reset/",
        "reset": r"/accounts/password/reset/key/[^/\s]+/",
        "unknown": r"/accounts/signup/",
    }
    subjects = {
        "signup": "[Indivisible Mass] Confirm your email address to finish signing up",
        "taken": "[Indivisible Mass] You already have an account",
        "reset": "[Indivisible Mass] Choose a new password",
        "unknown": "[Indivisible Mass] No account uses this address",
    }
    for kind, message in sent.items():
        assert message.subject == subjects[kind]
        assert not _stock_in(message.subject + "\n" + message.body), (kind, _stock_in(message.body))
        assert re.search(links[kind], message.body), (kind, message.body)
        assert message.body.startswith("Hello,") and "The Indivisible Mass Coalition" in message.body


def test_adding_an_address_sends_a_confirmation_in_the_portal_s_voice(send, activist):
    client = Client()
    client.force_login(activist)
    message = send(client, "/accounts/email/", {"action_add": "", "email": "alice.work@example.org"})
    assert message.subject == "[Indivisible Mass] Confirm your email address"
    assert not _stock_in(message.body) and "alice.work@example.org" in message.body


def test_the_home_page_shows_one_newsletter_form(client, activist):
    for viewer in (None, activist):
        if viewer:
            client.force_login(viewer)
        page = client.get("/").content.decode()
        forms = re.findall(r'<form[^>]*action="/newsletter/(?:member/)?"', page)
        assert len(forms) == 1, (viewer, forms)


PAGE_STOCK = (
    "If you have not created an account yet",
    "Then please",
    "Please contact us",
    "Otherwise contact us",
    "Bad Token",
    "Forgotten your password?",
    "Reset My Password",
    "possibly because it has already been used",
)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/key/not-a-real-key/",
    ],
)
def test_allauth_s_entrance_pages_speak_in_the_portal_s_voice(client, url):
    page = client.get(url, follow=True).content.decode()
    found = [sentence for sentence in PAGE_STOCK if sentence in page]
    assert not found, found


# allauth's own sentences on the account pages a member opens, in its Title Case: each page here
# speaks in the portal's voice instead.
ALLAUTH_PAGE_STOCK = (
    "Email Addresses",
    "The following email addresses are associated with your account",
    "Make Primary",
    "Re-send Verification",
    "Add Email Address",
    "Change Password",
    "Are you sure you want to sign out?",
    "Account Inactive",
    "This account is inactive.",
    "Confirm Access",
    "Please reauthenticate to safeguard your account.",
)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/email/", "Your email addresses"),
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/logout/", "Sign out"),
        ("/accounts/inactive/", "This account is switched off"),
        ("/accounts/reauthenticate/", "Confirm it is you"),
    ],
)
def test_the_account_pages_a_member_opens_speak_in_the_portal_s_voice(client, activist, path, heading):
    client.force_login(activist)
    page = client.get(path).content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    assert heading in main
    assert [s for s in ALLAUTH_PAGE_STOCK if s in main] == []
