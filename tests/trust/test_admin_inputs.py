"""Every changelist of the admin, whatever its query string: never a 5xx.

A filter value the database cannot take (a number past 64 bits, a date past what Python's dates
hold: the date hierarchy's ``?starts_at__year=``) answers as Django answers any invalid lookup: a
redirect to the bare changelist with ``?e=1``, which then opens. A NUL character, which PostgreSQL
refuses in any string, is answered 400 before the admin sees it (the portal's rule for every
address, ``imc.middleware.RefuseControlCharactersMiddleware``). A value the filters merely do not
match lists nothing, or is ignored.

The parameters come from each changelist itself (its filters' own parameters, its search box,
its date hierarchy) plus the lookups people type by hand, so a filter added later is fuzzed too.
Run on PostgreSQL in CI, where NUL characters once gave 500s on every filter with a string.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.services import user_ensure
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 64 bits
BAD_VALUES = ("\x00", HUGE, "-" + HUGE, "9999")
# Typed by hand: an id, a foreign key, the district filter reps use, ordering and paging.
BY_HAND = ("id__exact", "town__id__exact", "district", "o", "p")
OK_ANSWERS = "200, a redirect to ?e=1, or 400 for a NUL"


@pytest.fixture
def superuser(db):
    user = user_ensure(email="root@example.org", password=PASSWORD, first_name="Root")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


# What each staff member's changelists are and which parameters each takes, found once per test
# process by opening every changelist (about 80 pages): it depends on the registry and the role,
# not on rows. ``test_every_changelist_opens_for_the_superuser_and_a_rep`` checks the same pages
# open in a test of its own, whatever ran before it.
_DISCOVERED: dict[str, list[tuple[str, list[str]]]] = {}


def _discover(who: str, client) -> list[tuple[str, list[str]]]:
    found = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (who, url, response.status_code)
        assert client.get(f"{url}?e=1").status_code == 200, (who, url)  # where invalid lookups go
        found.append((url, sorted(_parameters(response.context["cl"]))))
    return found


def _check_discovery(found: list) -> None:
    assert len([c for c in found if c[0] == "superuser"]) == len(admin.site._registry)
    assert {"/admin/groups/group/", "/admin/events/event/", "/admin/districts/town/"} <= {
        url for who, _, url, _ in found if who == "rep_ma3"
    }


def _staff_clients(superuser, rep_ma3, staff_client_factory):
    for who, user in (("superuser", superuser), ("rep_ma3", rep_ma3)):
        client = staff_client_factory(user)
        client.raise_request_exception = False  # a 500 is an answer to list, not the end of the test
        yield who, client


@pytest.fixture
def changelists(superuser, rep_ma3, lowell_group, staff_client_factory):
    """``[(who, client, url, parameters)]`` for every changelist the superuser and an MA-3 rep open."""
    found = []
    for who, client in _staff_clients(superuser, rep_ma3, staff_client_factory):
        if who not in _DISCOVERED:
            _DISCOVERED[who] = _discover(who, client)
        found.extend((who, client, url, names) for url, names in _DISCOVERED[who])
    _check_discovery(found)
    return found


def test_every_changelist_opens_for_the_superuser_and_a_rep(superuser, rep_ma3, lowell_group, staff_client_factory):
    """Opens every page afresh (the fixture above may reuse what an earlier test found)."""
    found = []
    for who, client in _staff_clients(superuser, rep_ma3, staff_client_factory):
        fresh = _discover(who, client)
        assert _DISCOVERED.setdefault(who, fresh) == fresh, who  # the same as what earlier tests used
        found.extend((who, client, url, names) for url, names in fresh)
    _check_discovery(found)


def _parameters(cl) -> set[str]:
    names = set(BY_HAND)
    for spec in cl.filter_specs:
        names |= set(spec.expected_parameters())
    if cl.search_fields:
        names.add("q")
    if cl.date_hierarchy:
        names |= {f"{cl.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    return names


def _answer_is_ok(client, url: str, params: dict) -> str | None:
    response = client.get(url, params)
    if response.status_code == 200:
        return None
    if response.status_code == 302 and response["Location"] == f"{url}?e=1":
        return None  # the fixture saw that page open
    if response.status_code == 400 and any("\x00" in f"{k}{v}" for k, v in params.items()):
        return None  # the portal-wide refusal of a NUL in an address
    return f"{response.status_code} {response.get('Location', '')}"


def test_every_changelist_takes_any_single_bad_filter_value(changelists):
    wrong = []
    for who, client, url, names in changelists:
        for name in names:
            for value in BAD_VALUES:
                problem = _answer_is_ok(client, url, {name: value})
                if problem:
                    wrong.append(f"{who} {url}?{name}={value!r}: {problem}")
    assert not wrong, "\n".join([f"changelist answers other than {OK_ANSWERS}:", *wrong])


@pytest.mark.parametrize(
    "dates",
    [
        {"year": "9999"},  # the year after it is past Python's dates
        {"year": "9999", "month": "12"},
        {"year": "9999", "month": "12", "day": "31"},
        {"year": "1", "month": "1", "day": "1"},
        {"year": HUGE},
        {"year": "2026", "month": HUGE},
        {"year": "2026", "month": "2", "day": "30"},
        {"year": "2026", "month": "\x00"},
    ],
)
def test_the_date_hierarchy_takes_any_date(changelists, dates):
    wrong = []
    for who, client, url, names in changelists:
        field = next((n[: -len("__year")] for n in names if n.endswith("__year")), None)
        if field is None:
            continue
        problem = _answer_is_ok(client, url, {f"{field}__{part}": value for part, value in dates.items()})
        if problem:
            wrong.append(f"{who} {url} {dates}: {problem}")
    assert not wrong, "\n".join(wrong)


ANY_TEXT = st.text(max_size=40)
VALUE = st.one_of(ANY_TEXT, st.integers(min_value=-(10**30), max_value=10**30).map(str), st.sampled_from(BAD_VALUES))


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_changelist_takes_any_filter_value(changelists, data):
    """One parameter per changelist at a time: with several, the first refused one (?e=1) would
    hide what the others do."""
    wrong = []
    for who, client, url, names in changelists:
        params = {data.draw(st.sampled_from(names)): data.draw(VALUE)}
        problem = _answer_is_ok(client, url, params)
        if problem:
            wrong.append(f"{who} {url} {params!r}: {problem}")
    assert not wrong, "\n".join(wrong)


def test_the_admins_search_suggestions_refuse_a_nul(superuser, staff_client_factory):
    """The autocomplete of a town on a ZIP code's page searches towns by the typed term."""
    client = staff_client_factory(superuser)
    client.raise_request_exception = False
    params = {"term": "Low\x00", "app_label": "districts", "model_name": "zipcode", "field_name": "town"}
    response = client.get("/admin/autocomplete/", params)
    assert response.status_code == 400
    response = client.get("/admin/autocomplete/", params | {"term": "Lowel"})
    assert [r["text"] for r in response.json()["results"]] == ["Lowell"]  # control: the search finds


def test_good_filters_still_filter(rep_ma3, lowell_group, staff_client_factory):
    """Control: the guard refuses what the database cannot take, not ordinary filters."""
    client = staff_client_factory(rep_ma3)
    district = lowell_group.district_id
    for params in ({"status__exact": "approved"}, {"q": "Lowell"}, {"district": str(district)}, {"q": "01852"}):
        response = client.get("/admin/groups/group/", params)
        assert response.status_code == 200, params
        names = [g.name for g in response.context["cl"].result_list]
        assert names == (["Lowell Indivisible"] if params != {"q": "01852"} else []), params
    response = client.get("/admin/events/event/", {"starts_at__year": "2026", "starts_at__month": "2"})
    assert response.status_code == 200
