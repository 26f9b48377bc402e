"""Import sources in the admin: coordinators add and change them; nobody else opens them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from imports.models import ImportSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(source):
    return [
        reverse("admin:imports_importsource_changelist"),
        reverse("admin:imports_importsource_add"),
        reverse("admin:imports_importsource_change", args=[source.pk]),
        reverse("admin:imports_importsource_delete", args=[source.pk]),
    ]


def test_reps_members_and_visitors_are_refused_every_page(pages, rep_ma3, activist, staff_client_factory):
    rep = staff_client_factory(rep_ma3)
    member = Client()
    member.force_login(activist)
    for url in pages:
        assert rep.get(url).status_code == 403, url
        assert rep.post(url, {"name": "x", "mobilize_org_id": 1}).status_code == 403, url
        assert member.get(url).status_code == 403, url
        assert Client().get(url).status_code == 302, url
    assert ImportSource.objects.count() == 1


def test_a_coordinator_adds_a_source_and_sees_its_last_sync_and_error(
    pages, source, coordinator, staff_client_factory, lowell_group
):
    client = staff_client_factory(coordinator)
    source.last_error = "2026-12-01 10:00 UTC: HTTP 500 from the API"
    source.save()
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert "HTTP 500 from the API" in client.get(pages[0]).content.decode()
    response = client.post(
        pages[1], {"name": "Coalition calendar", "mobilize_org_id": 77, "host_group": "", "enabled": "on"}
    )
    assert response.status_code == 302
    added = ImportSource.objects.get(mobilize_org_id=77)
    assert added.host_group is None and added.acts_as == coordinator and added.enabled
