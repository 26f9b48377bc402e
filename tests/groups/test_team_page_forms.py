"""A signed-in member's team page holds two forms (contact the lead, "I want to help") whose
fields are both called ``message``: each box must have an id of its own and a label naming it."""

from __future__ import annotations

import re

from django.urls import reverse

from districts.models import Team


def _form(page: str, action: str) -> str:
    match = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return match.group(1)


def test_the_i_want_to_help_box_has_its_own_id_and_label(client, activist, coordinator):
    team = Team.objects.create(name="Voting Rights", slug="voting-rights", description="Ballots", lead=coordinator)
    client.force_login(activist)
    page = client.get(reverse("teams:detail", args=[team.slug])).content.decode()

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    help_form = _form(page, reverse("teams:volunteer", args=[team.slug]))
    box = re.search(r'<textarea[^>]*name="message"[^>]*id="([^"]+)"', help_form)
    assert box, help_form
    label = re.search(rf'<label[^>]*for="{box.group(1)}"[^>]*>(.*?)</label>', help_form, re.S)
    assert label and "What you would like to help with" in label.group(1)
    contact_form = _form(page, reverse("teams:contact", args=[team.slug]))
    assert box.group(1) not in contact_form
