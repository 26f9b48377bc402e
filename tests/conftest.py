"""Shared fixtures: Massachusetts geography in every test database, a named cast of users, and
the real parts (SMTP on loopback, Celery worker processes) for the tests that need them.

The cast:
- ``activist``: a signed-up member of nobody's staff.
- ``rep_ma3`` / ``rep_ma5``: staff in "District reps" holding the current seat of MA-3 / MA-5.
- ``coordinator``: staff in "Coordinators".
- ``organizer``: Olga Okonkwo (home town Lowell), organizer of ``lowell_group``.
- ``lowell_group``: "Lowell Indivisible", approved, MA-3, serves Lowell and Chelmsford, with a
  Markdown description; submitted and approved through the services.
- ``make_group``: ``make_group(name, towns=("Lowell",), *, status, organizer, ...)``, which is
  ``tests.factories.group``.
Apps add their own cast members (another organizer, subscribers, ...) in their test folders.

Staff in the admin: ``/admin/`` opens only to staff whose session passed a TOTP check
(``accounts.middleware.StaffAdminMFAMiddleware``), so ``client.force_login(staff)`` alone now gets
a redirect to set up or enter a second factor. Admin tests use ONE fixture instead:

    def test_rep_sees_their_districts_groups(staff_client_factory, rep_ma3):
        client = staff_client_factory(rep_ma3)   # a django.test.Client, signed in, MFA satisfied
        assert client.get("/admin/").status_code == 200

It gives the user a TOTP authenticator (secret ``STAFF_TOTP_SECRET``) and records a password and
a TOTP step in the session through allauth's own ``record_authentication``, exactly what the real
login with a code leaves behind (tests/accounts/test_staff_mfa.py drives that real login and
checks both agree). Passing a non-staff user is allowed: the admin then answers 403.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import settings as hypothesis_settings

from accounts.models import Role
from accounts.services import user_ensure
from districts.models import BoardRole, BoardSeat, District, Precinct, Town
from tests import factories, realstack
from tests.factories import PASSWORD

# Property-based tests (tests/trust/test_fuzz_inputs.py, tests/groups/test_fuzz.py): each tries this
# many random inputs besides its fixed ``@example`` inputs, the ones that once broke something,
# which always run first. `pytest --hypothesis-profile=thorough` tries more; a failure found
# there is saved in .hypothesis/ and tried again first by every later run on that machine.
hypothesis_settings.register_profile("unit", max_examples=15)
hypothesis_settings.register_profile("thorough", max_examples=300)
hypothesis_settings.load_profile("unit")

# The tiers of `make test`: the unit tier runs in parallel (pytest-xdist); these run after it, one
# at a time, because they share one Redis database, Celery workers and one Chromium. A test that
# asks for one of these fixtures is in its tier even without the marker.
TIER_FIXTURES = {
    "realstack": {"worker_factory", "redis_flushed"},
    "browser": {"chromium", "browser", "live_server"},
}


# The unit tier's longest tests (each 5-50 s on a quiet 2-core machine, measured with
# `--durations`): run first, so that pytest-xdist hands them out one by one while the short tests
# fill the gaps, instead of one worker meeting the permission walk (tests/trust comes last in the
# alphabet) when the other has nothing left to do. Only the order changes, longest first; every
# other test keeps pytest's order. A test missing from this list is merely scheduled later.
LONG_TESTS = (
    "tests/trust/test_permissions.py::test_every_url_answers_each_member_of_the_cast_as_the_permission_table_says",
    "tests/trust/test_admin_inputs.py::test_every_changelist_takes_any_single_bad_filter_value",
    "tests/foundation/test_html_valid.py::",
    "tests/trust/test_fuzz_inputs.py::test_the_group_forms_never_fail_and_never_half_write",
    "tests/foundation/test_admin_links.py::test_every_admin_link_a_staff_member_sees_opens_for_them",
    "tests/trust/test_admin_inputs.py::test_every_changelist_takes_any_filter_value",
    "tests/trust/test_fuzz_inputs.py::test_the_event_forms_never_fail_and_never_half_write",
    "tests/trust/test_admin_inputs.py::test_every_changelist_opens_for_the_superuser_and_a_rep",
    "tests/trust/test_permissions.py::test_view_on_site_opens_only_the_pages",
    "tests/trust/test_single_line.py::test_every_form_field_refuses_line_breaks",
    "tests/foundation/test_settings.py::",
    "tests/api/test_settings.py::",
    "tests/groups/test_fuzz.py::",
    "tests/trust/test_fuzz_inputs.py::",
    "tests/foundation/test_site_url.py::",
    "tests/foundation/test_static_build.py::",
)


def _long_rank(item) -> int:
    for rank, prefix in enumerate(LONG_TESTS):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG_TESTS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, fixtures in TIER_FIXTURES.items():
            if fixtures & set(getattr(item, "fixturenames", ())) and item.get_closest_marker(marker) is None:
                item.add_marker(marker)
    items.sort(key=_long_rank)  # stable: the same order in every pytest-xdist worker


def pytest_configure(config):
    """pytest-xdist hands out tests two at a time (by default a quarter of each worker's share at
    once, which would give one worker all of ``LONG_TESTS``), so the longest go to both workers."""
    if getattr(config.option, "maxschedchunk", "absent") is None:
        config.option.maxschedchunk = 2


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Unit tests run tasks in-process; the real-stack tests switch this off."""
    from imc.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fresh_page_cache(request):
    """Pages stored by an earlier test (whose rows were rolled back) are stale for this one.

    The page cache is off in imc.settings_test; a test about it asks for it with the
    ``page_cache`` marker or fixture.
    """
    from imc import pagecache

    pagecache._bump()
    if request.node.get_closest_marker("page_cache") is not None:
        request.getfixturevalue("page_cache")


@pytest.fixture
def page_cache(settings):
    """The anonymous page cache switched on (60 s, as in production) for this test."""
    settings.PAGE_CACHE_SECONDS = 60


# What migrations and the loader put in every database: the geography, the role groups with their
# permissions, the content types and the site. A ``transactional_db`` test ends with a flush of
# every table; these are left out of it, so they are loaded once per test database (and a
# ``db`` test's rollback never touches them anyway).
REFERENCE_TABLES = frozenset(
    {
        "districts_district",
        "districts_town",
        "districts_towndistrict",
        "districts_townalias",
        "districts_zipcode",
        "districts_legislativedistrict",
        "districts_townlegislativedistrict",
        "districts_precinct",
        "auth_group",
        "auth_group_permissions",
        "auth_permission",
        "django_content_type",
        "django_site",
    }
)


def _sql_flush_keeping_reference_data(style, connection, reset_sequences=True, allow_cascade=False):
    """django.core.management.sql.sql_flush without the reference tables."""
    tables = [
        table
        for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
        if table not in REFERENCE_TABLES
    ]
    return connection.ops.sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the geography once into each test database (one per xdist worker); every test keeps it."""
    from django.core.management.commands import flush

    from districts.loader import load_ma_data

    with django_db_blocker.unblock():
        if Town.objects.count() != 351 or not Precinct.objects.exists():
            load_ma_data()
    original = flush.sql_flush
    flush.sql_flush = _sql_flush_keeping_reference_data
    yield
    flush.sql_flush = original


@pytest.fixture(autouse=True)
def _geography(request):
    """Every test database holds the 9 districts, 351 towns, 704 ZIP codes and the role groups.

    Loaded once (``django_db_setup``) and never flushed; restored only if a test deleted them.
    """
    uses_db = request.node.get_closest_marker("django_db") is not None or {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
    } & set(request.fixturenames)
    if not uses_db:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    if District.objects.count() != 9 or Town.objects.count() != 351 or not Precinct.objects.exists():
        restore_reference_data()


def restore_reference_data() -> None:
    """What migrations and the loader put in every database, back if a test deleted it."""
    from django.contrib.auth.models import Group

    from districts.loader import load_ma_data
    from imc.links import site_sync

    load_ma_data()
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    site_sync()


@pytest.fixture
def geography(db):
    """Explicit dependency for tests that read towns and districts."""
    return None


def _seat(user, district_slug: str) -> None:
    BoardSeat.objects.create(
        district=District.objects.get(slug=district_slug),
        user=user,
        display_name=user.get_full_name(),
        role=BoardRole.REPRESENTATIVE,
        term_start=datetime.date(2025, 1, 1),
    )


@pytest.fixture
def activist(db):
    return user_ensure(
        email="alice@example.org", password=PASSWORD, first_name="Alice", home_town=Town.objects.get(name="Lowell")
    )


@pytest.fixture
def rep_ma3(db):
    user = user_ensure(email="rita@example.org", password=PASSWORD, first_name="Rita", roles=(Role.DISTRICT_REP,))
    _seat(user, "ma-3")
    return user


@pytest.fixture
def rep_ma5(db):
    user = user_ensure(email="fred@example.org", password=PASSWORD, first_name="Fred", roles=(Role.DISTRICT_REP,))
    _seat(user, "ma-5")
    return user


@pytest.fixture
def coordinator(db):
    return user_ensure(email="cora@example.org", password=PASSWORD, first_name="Cora", roles=(Role.COORDINATOR,))


@pytest.fixture
def organizer(db):
    return factories.user("olga@example.org", first_name="Olga", last_name="Okonkwo", home_town="Lowell")


@pytest.fixture
def make_group(db):
    return factories.group


@pytest.fixture
def lowell_group(organizer):
    return factories.group(
        "Lowell Indivisible",
        ("Lowell", "Chelmsford"),
        organizer=organizer,
        description="We meet about **climate** and democracy.",
    )


STAFF_TOTP_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"


def staff_client_for(user):
    """A test client signed in as ``user`` with MFA satisfied (what ``staff_client_factory`` makes)."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import Client, RequestFactory

    from accounts.mfa import totp_ensure

    authenticator = totp_ensure(user=user, secret=STAFF_TOTP_SECRET)
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    record_authentication(request, user, "password", email=user.email)
    record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk)
    request.session.save()
    return client


@pytest.fixture
def staff_client_factory(db):
    """Returns ``make(user) -> Client``: a test client signed in as ``user`` with MFA satisfied."""
    return staff_client_for


@pytest.fixture
def smtp_server():
    sink, controller = realstack.start_smtp_sink()
    yield sink
    controller.stop()


@pytest.fixture
def redis_flushed():
    """A clean broker for a real-stack test: the Redis database in REDIS_URL is for tests only."""
    import redis

    url = realstack.redis_url()
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def worker_factory(transactional_db, redis_flushed, settings):
    """Start real Celery worker processes; stopped (or already killed) at the end of the test."""
    from imc.celery import app

    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    workers: list[realstack.CeleryWorker] = []

    def start(smtp=None, **kwargs) -> realstack.CeleryWorker:
        worker = realstack.CeleryWorker(smtp, **kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def site_url(settings):
    return settings.SITE_URL


@pytest.fixture(scope="session")
def _session_browser():
    """One Playwright and one Chromium for the whole session, started by the first browser test."""
    from tests.browser import SessionBrowser

    session = SessionBrowser()
    yield session
    session.stop()


@pytest.fixture
def chromium(_session_browser):
    """Headless Chromium (Debian's /usr/bin/chromium through Playwright), shared by the session;
    every context this test opens is closed after it, so the next test starts fresh."""
    with _session_browser.for_test() as browser:
        yield browser


@pytest.fixture
def browser(chromium):
    return chromium
