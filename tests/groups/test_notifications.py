"""Who hears about each event of group life, as it happens or in the daily digest.

The table: each event → the exact people emailed (the outbox rows it writes), when everyone
involved asked for each email as it happens, and when everyone asked for the daily digest (then
what needs an organizer, a lead or a rep waits as a ``NotificationItem``, while an answer to a
member's own request still goes at once). Outsiders (a member not involved, the rep of another
district, the organizer of another group) and a deactivated organizer get nothing either way.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind, NotificationMode, NotificationPreference
from districts.models import Team, Town
from groups import notifications, services
from groups.models import GroupClaim, Membership, MembershipRole, MembershipStatus, NotificationItem
from outbox.models import OutboundEmail
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(activist, organizer, rep_ma3, rep_ma5, coordinator):
    """Everybody the table names, with the groups and team they are part of."""
    lowell = factories.group(
        "Lowell Indivisible", ("Lowell", "Chelmsford"), organizer=organizer, requires_approval=True
    )
    dora = factories.user("dora@example.org", first_name="Dora")
    Membership.objects.create(group=lowell, user=dora, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE)
    dora.is_active = False
    dora.save(update_fields=["is_active"])
    otto = factories.user("otto@example.org", first_name="Otto")
    worcester = factories.group("Worcester Indivisible", ("Worcester",), organizer=otto)
    orphan = services.group_add_listed(
        actor=coordinator,
        details=services.GroupDetails(name="Dracut Orphans", home_town=Town.objects.get(name="Dracut")),
    )
    lena = factories.user("lena@example.org", first_name="Lena")
    team = Team.objects.create(name="Data team", slug="data", lead=lena)
    bob = factories.user("bob@example.org", first_name="Bob")
    return {
        "people": {
            "activist": activist,
            "organizer": organizer,
            "dora": dora,
            "otto": otto,
            "rep_ma3": rep_ma3,
            "rep_ma5": rep_ma5,
            "lena": lena,
            "bob": bob,
        },
        "lowell": lowell,
        "worcester": worcester,
        "orphan": orphan,
        "team": team,
        "coordinator": coordinator,
    }


def _join_request(c):
    services.membership_join(user=c["people"]["bob"], group=c["lowell"])


def _decided(approve):
    def act(c):
        membership = Membership.objects.create(
            group=c["lowell"], user=c["people"]["bob"], status=MembershipStatus.PENDING
        )
        OutboundEmail.objects.all().delete()
        services.membership_decide(organizer=c["people"]["organizer"], membership=membership, approve=approve)

    return act


def _claim_decided(approve):
    def act(c):
        claim = GroupClaim.objects.create(group=c["orphan"], user=c["people"]["bob"])
        OutboundEmail.objects.all().delete()
        services.claim_decide(claim=claim, actor=c["people"]["rep_ma3"], approve=approve)

    return act


def _team_offer(c):
    services.team_volunteer(user=c["people"]["bob"], team=c["team"], message="I know SQL")


def _new_listing(c):
    details = services.GroupDetails(name="Chelmsford Rising", home_town=Town.objects.get(name="Chelmsford"))
    services.group_submit(submitter=c["people"]["bob"], details=details)


def _claim(c):
    services.claim_submit(user=c["people"]["bob"], group=c["orphan"], message="I lead it now")


# event, the people emailed at once when all ask for each email as it happens, the people emailed
# at once when all ask for the digest, the people whose digest holds an item (and its kind).
TABLE = [
    ("join request", _join_request, {"organizer"}, set(), {("organizer", NotificationKind.JOIN_REQUEST)}),
    ("request approved", _decided(True), {"bob"}, {"bob"}, set()),
    ("request declined", _decided(False), {"bob"}, {"bob"}, set()),
    ("claim approved", _claim_decided(True), {"bob"}, {"bob"}, set()),
    ("claim rejected", _claim_decided(False), {"bob"}, {"bob"}, set()),
    ("I want to help", _team_offer, {"lena"}, set(), {("lena", NotificationKind.TEAM_OFFER)}),
    ("new listing", _new_listing, {"rep_ma3"}, set(), {("rep_ma3", NotificationKind.NEW_LISTING)}),
    ("claim of a listing", _claim, {"rep_ma3"}, set(), {("rep_ma3", NotificationKind.NEW_CLAIM)}),
]
OUTSIDERS = {"activist", "otto", "rep_ma5", "dora"}


@pytest.mark.parametrize("mode", [NotificationMode.IMMEDIATE, NotificationMode.DIGEST])
@pytest.mark.parametrize(("event", "act", "immediate", "digest_now", "digest_items"), TABLE, ids=[t[0] for t in TABLE])
def test_each_event_of_group_life_emails_exactly_the_right_people(
    cast, mode, event, act, immediate, digest_now, digest_items
):
    people = cast["people"]
    for person in people.values():
        for kind in NotificationKind.values:
            NotificationPreference.objects.create(user=person, kind=kind, mode=mode)
    OutboundEmail.objects.all().delete()
    with transaction.atomic():
        act(cast)
    by_address = {p.email: name for name, p in people.items()}
    emailed = [by_address.get(e.to, e.to) for e in OutboundEmail.objects.all()]
    items = {(by_address[i.recipient.email], i.kind) for i in NotificationItem.objects.select_related("recipient")}
    if mode == NotificationMode.IMMEDIATE:
        assert sorted(emailed) == sorted(immediate)
        assert items == set()
    else:
        assert sorted(emailed) == sorted(digest_now)
        assert items == digest_items
    assert not OUTSIDERS & (set(emailed) | {name for name, _ in items})


def test_the_join_request_mail_links_to_the_page_where_the_organizer_decides(cast):
    OutboundEmail.objects.all().delete()
    _join_request(cast)
    email = OutboundEmail.objects.get()
    url = settings.SITE_URL + reverse("groups:members", args=[cast["lowell"].slug])
    assert email.kind == "groups.join_request" and email.to == cast["people"]["organizer"].email
    assert url in email.body_text and f'href="{url}"' in email.body_html
    assert email.body_html.startswith("<!doctype html>") and "Bob" in email.subject


def test_a_second_click_on_join_asks_the_organizers_once(cast):
    _join_request(cast)
    _join_request(cast)
    assert OutboundEmail.objects.filter(kind="groups.join_request").count() == 1


def test_an_open_group_tells_nobody_when_someone_joins(cast):
    OutboundEmail.objects.all().delete()
    services.membership_join(user=cast["people"]["bob"], group=cast["worcester"])
    assert not OutboundEmail.objects.exists() and not NotificationItem.objects.exists()


def test_the_member_hears_the_decision_in_plain_words(cast):
    _decided(False)(cast)
    email = OutboundEmail.objects.get()
    assert email.kind == "groups.request_decided" and "Lowell Indivisible" in email.subject
    assert "not approved" in email.body_text.lower() or "declined" in email.body_text.lower()


def test_a_repeated_decision_is_not_mailed_twice(cast):
    membership = Membership.objects.create(
        group=cast["lowell"], user=cast["people"]["bob"], status=MembershipStatus.PENDING
    )
    OutboundEmail.objects.all().delete()
    services.membership_decide(organizer=cast["people"]["organizer"], membership=membership, approve=True)
    services.membership_decide(organizer=cast["people"]["organizer"], membership=membership, approve=True)
    assert OutboundEmail.objects.count() == 1


# --- The daily digest -------------------------------------------------------------------------


def _digest_everyone(people):
    for person in people.values():
        for kind in NotificationKind.values:
            NotificationPreference.objects.update_or_create(
                user=person, kind=kind, defaults={"mode": NotificationMode.DIGEST}
            )


def _several_waiting(cast):
    """Olga: two requests to join; Lena: one offer; Rita (MA-3): a listing and a claim."""
    people = cast["people"]
    _digest_everyone(people)
    services.membership_join(user=people["bob"], group=cast["lowell"])
    services.membership_join(user=people["activist"], group=cast["lowell"])
    _team_offer(cast)
    _new_listing(cast)
    _claim(cast)
    OutboundEmail.objects.all().delete()


def test_the_digest_writes_one_mail_per_person_with_everything_that_waits(cast):
    _several_waiting(cast)
    people = cast["people"]
    assert notifications.digests_send() == 3
    mails = {e.to: e for e in OutboundEmail.objects.all()}
    assert set(mails) == {people["organizer"].email, people["lena"].email, people["rep_ma3"].email}
    olga = mails[people["organizer"].email]
    assert olga.kind == "groups.digest" and "Bob" in olga.body_text and "Alice" in olga.body_text
    assert settings.SITE_URL + reverse("groups:members", args=[cast["lowell"].slug]) in olga.body_text
    assert olga.body_html.startswith("<!doctype html>")
    rita = mails[people["rep_ma3"].email]
    assert "Chelmsford Rising" in rita.body_text and "Dracut Orphans" in rita.body_text
    assert not NotificationItem.objects.waiting().exists()


def test_running_the_digest_twice_sends_nothing_twice(cast):
    _several_waiting(cast)
    assert notifications.digests_send() == 3
    assert notifications.digests_send() == 0
    assert OutboundEmail.objects.count() == 3


def test_a_crash_while_writing_the_digest_leaves_nothing_half_done(cast, monkeypatch):
    _several_waiting(cast)
    real = notifications._render_digest
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(notifications, "_render_digest", crash_on_second)
    with pytest.raises(RuntimeError):
        notifications.digests_send()
    assert not OutboundEmail.objects.exists()
    assert NotificationItem.objects.waiting().count() == 5
    monkeypatch.setattr(notifications, "_render_digest", real)
    assert notifications.digests_send() == 3


def test_what_no_longer_waits_is_left_out_of_the_digest(cast):
    """A request another organizer already decided, a listing already approved: not in the
    digest; a person with nothing left gets no mail at all."""
    people = cast["people"]
    _digest_everyone(people)
    services.membership_join(user=people["bob"], group=cast["lowell"])
    _new_listing(cast)
    listing = cast["lowell"].__class__.objects.get(name="Chelmsford Rising")
    membership = Membership.objects.get(group=cast["lowell"], user=people["bob"])
    services.membership_decide(organizer=people["organizer"], membership=membership, approve=True)
    services.group_approve(group=listing, actor=cast["coordinator"])
    OutboundEmail.objects.all().delete()
    assert notifications.digests_send() == 0
    assert not OutboundEmail.objects.exists() and not NotificationItem.objects.waiting().exists()


def test_a_withdrawn_request_takes_its_waiting_item_with_it(cast):
    people = cast["people"]
    _digest_everyone(people)
    services.membership_join(user=people["bob"], group=cast["lowell"])
    assert NotificationItem.objects.count() == 1
    services.membership_leave(user=people["bob"], group=cast["lowell"])
    assert not NotificationItem.objects.exists()


def test_a_person_deactivated_since_gets_no_digest(cast):
    _several_waiting(cast)
    lena = cast["people"]["lena"]
    lena.is_active = False
    lena.save(update_fields=["is_active"])
    assert notifications.digests_send() == 2
    assert not OutboundEmail.objects.filter(to=lena.email).exists()
    assert not NotificationItem.objects.waiting().exists()


def test_items_newer_than_the_run_wait_for_the_next_one(cast):
    _several_waiting(cast)
    earlier = timezone.now() - datetime.timedelta(days=1)
    assert notifications.digests_send(now=earlier) == 0
    assert NotificationItem.objects.waiting().count() == 5


def _organizers_with_requests(count, start=0):
    """``count`` groups, each with an organizer in digest mode and one request to join."""
    for n in range(start, start + count):
        org = factories.user(f"org{n}@example.org")
        NotificationPreference.objects.create(
            user=org, kind=NotificationKind.JOIN_REQUEST, mode=NotificationMode.DIGEST
        )
        group = factories.group(f"Group {n}", ("Lowell",), organizer=org, requires_approval=True)
        services.membership_join(user=factories.user(f"member{n}@example.org"), group=group)


def _digest_queries(batch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    OutboundEmail.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        mails = notifications.digests_send(batch=batch)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    inserts = [sql for sql in statements if sql.startswith('INSERT INTO "outbox_outboundemail"')]
    return mails, len(statements) - len(inserts), len(inserts)


def test_the_digest_costs_the_same_reads_however_many_people_a_batch_holds(db):
    """Per batch: a fixed number of queries, plus one insert per mail (its outbox row); the
    last, empty, look costs one more."""
    _organizers_with_requests(2)
    assert _digest_queries(batch=50) == (2, notifications.DIGEST_QUERIES_PER_BATCH + 1, 2)
    _organizers_with_requests(8, start=2)
    assert _digest_queries(batch=50) == (8, notifications.DIGEST_QUERIES_PER_BATCH + 1, 8)
    _organizers_with_requests(6, start=10)
    assert _digest_queries(batch=3) == (6, 2 * notifications.DIGEST_QUERIES_PER_BATCH + 1, 6)


def test_the_digest_walks_people_in_batches(db):
    _organizers_with_requests(5)
    OutboundEmail.objects.all().delete()
    assert notifications.digests_send(batch=2) == 5
    assert OutboundEmail.objects.filter(kind="groups.digest").values("to").distinct().count() == 5


def test_the_digest_runs_daily_at_the_configured_hour():
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["groups-send-digests"]
    assert entry["task"] == "groups.tasks.send_digests"
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {settings.GROUPS_DIGEST_HOUR} and entry["schedule"].minute == {0}


# --- A group with no organizer ----------------------------------------------------------------


def test_a_group_without_organizer_says_before_the_form_who_will_read_the_message(client, cast):
    html = client.get(cast["orphan"].get_absolute_url()).content.decode()
    notice = html.index("This group has no organizer on the portal right now")
    assert notice < html.index(f'action="{reverse("groups:contact", args=[cast["orphan"].slug])}"')
    assert "district representatives for MA-3" in html


def test_the_contact_page_of_a_group_without_organizer_says_so_too(client, cast):
    html = client.get(reverse("groups:contact", args=[cast["orphan"].slug])).content.decode()
    assert html.index("This group has no organizer on the portal right now") < html.index("<form")


def test_a_group_with_an_organizer_has_no_such_notice(client, cast):
    html = client.get(cast["worcester"].get_absolute_url()).content.decode()
    assert "no organizer on the portal" not in html


def test_a_message_to_a_group_without_organizer_goes_to_its_districts_reps(client, cast):
    OutboundEmail.objects.all().delete()
    response = client.post(
        reverse("groups:contact", args=[cast["orphan"].slug]),
        {"name": "Vera", "email": "vera@example.org", "message": "Does this group still meet?"},
    )
    assert response.status_code == 302
    emails = list(OutboundEmail.objects.all())
    assert [e.to for e in emails] == [cast["people"]["rep_ma3"].email]
    assert emails[0].reply_to == "vera@example.org" and "no organizer" in emails[0].body_text


def test_a_deactivated_organizer_alone_makes_a_group_without_organizer(client, cast):
    olga = cast["people"]["organizer"]
    olga.is_active = False
    olga.save(update_fields=["is_active"])
    OutboundEmail.objects.all().delete()
    services.relay_send(
        group=cast["lowell"], sender_name="Vera", sender_email="vera@example.org", body="Hi", ip_address=None
    )
    assert [e.to for e in OutboundEmail.objects.all()] == [cast["people"]["rep_ma3"].email]


@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_send_each_digest_once(monkeypatch):
    """A second run that starts while the first holds its batch waits on the items' locks, then
    finds them sent (PostgreSQL; SQLite lets one writer at a time anyway)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    _organizers_with_requests(3)
    OutboundEmail.objects.all().delete()
    first_holds_lock, release_first = threading.Event(), threading.Event()
    real = notifications._render_digest

    def slow_in_first(recipient, items):
        if threading.current_thread().name == "first" and not first_holds_lock.is_set():
            first_holds_lock.set()
            release_first.wait(timeout=20)
        return real(recipient, items)

    monkeypatch.setattr(notifications, "_render_digest", slow_in_first)
    written: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            written[name] = notifications.digests_send()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert first_holds_lock.wait(timeout=20)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    second.join(timeout=1)  # blocked on the first run's row locks
    assert second.is_alive()
    release_first.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors
    assert written == {"first": 3, "second": 0}
    assert OutboundEmail.objects.filter(kind="groups.digest").count() == 3


def test_the_data_download_shows_the_settings_and_what_waits_for_the_digest(cast):
    from accounts.selectors import user_data

    people = cast["people"]
    _digest_everyone(people)
    _join_request(cast)
    data = user_data(people["organizer"])
    assert data["notification_settings"]["join_request"] == NotificationMode.DIGEST
    assert [(i["kind"], i["group"]) for i in data["groups"]["waiting_for_digest"]] == [
        ("join_request", "Lowell Indivisible")
    ]
    assert "Bob" not in str(data["groups"]["waiting_for_digest"])


def _reach_into(c, town_names):
    lowell = c["lowell"]
    details = services.GroupDetails(
        name=lowell.name,
        home_town=lowell.home_town,
        other_towns=[*lowell.towns.exclude(pk=lowell.home_town_id), *Town.objects.filter(name__in=town_names)],
        requires_approval=lowell.requires_approval,
    )
    services.group_update(group=lowell, actor=c["people"]["organizer"], details=details)


def test_an_organizer_reaching_into_another_district_tells_that_districts_reps(cast):
    """Organizers may give their group any town; the reps of a district it newly serves moderate
    it from then on, so they hear about it at once (not the reps who already had it)."""
    OutboundEmail.objects.all().delete()
    _reach_into(cast, ["Framingham"])
    mails = list(OutboundEmail.objects.all())
    assert [m.to for m in mails] == [cast["people"]["rep_ma5"].email]
    assert "Lowell Indivisible" in mails[0].subject
    assert "Framingham" in mails[0].body_text
    assert f"/admin/groups/group/{cast['lowell'].pk}/change/" in mails[0].body_text
    assert cast["lowell"].moderation_log.filter(action="district_added").exists()


def test_a_new_town_in_a_district_the_group_already_serves_tells_nobody(cast):
    OutboundEmail.objects.all().delete()
    _reach_into(cast, ["Dracut"])  # MA-3, like Lowell
    assert not OutboundEmail.objects.exists()
