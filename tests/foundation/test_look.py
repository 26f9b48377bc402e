"""The portal's own face: design tokens whose colour pairs pass WCAG AA, computed from the token
values at the top of static/css/site.css; Bootstrap following them; the logo mark in the header,
the favicon, the admin and the mail; a social card for shared links; date badges on event cards;
a home page that leads with what is happening near the reader."""

from __future__ import annotations

import re
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from tests.events.conftest import make_event

SITE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "site.css"

# Every text colour the stylesheet puts on a background, as (text token, background token).
PAIRS = [
    ("--imc-ink", "--imc-paper"),
    ("--imc-ink", "--imc-surface"),
    ("--imc-ink", "--imc-sky"),
    ("--imc-muted", "--imc-paper"),
    ("--imc-muted", "--imc-surface"),
    ("--imc-muted", "--imc-sky"),
    ("--imc-link", "--imc-paper"),
    ("--imc-link", "--imc-surface"),
    ("--imc-link", "--imc-sky"),
    ("--imc-link-hover", "--imc-paper"),
    ("--imc-accent", "--imc-paper"),
    ("--imc-accent", "--imc-surface"),
    ("--imc-on-navy", "--imc-navy"),
    ("--imc-on-navy-muted", "--imc-navy"),
    ("--imc-gold", "--imc-navy"),
    ("--imc-on-primary", "--imc-primary"),
    ("--imc-on-primary", "--imc-primary-hover"),
    ("--imc-on-accent", "--imc-accent"),
    ("--imc-navy", "--imc-gold"),
]


def tokens() -> dict[str, str]:
    """The custom properties of the stylesheet's first rule, which must be ``:root``."""
    text = re.sub(r"/\*.*?\*/", "", SITE_CSS.read_text(encoding="utf-8"), flags=re.S)
    first = re.match(r"\s*:root\s*\{(?P<body>[^}]*)\}", text)
    assert first, "static/css/site.css does not open with the :root block of design tokens"
    return {name: value.strip() for name, value in re.findall(r"(--imc-[\w-]+)\s*:\s*([^;]+);", first["body"])}


def luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""
    value = hex_colour.lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", value), hex_colour
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_gives_the_known_ratios():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    # Bootstrap 5.3's old grey and a lighter one: either side of the 4.5:1 line.
    assert contrast("#6c757d", "#ffffff") == pytest.approx(4.69, abs=0.01)
    assert contrast("#777777", "#ffffff") < 4.5


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_every_text_and_background_pair_of_the_tokens_meets_wcag_aa(text, background):
    found = tokens()
    assert text in found and background in found, f"{text} or {background} is not a token"
    ratio = contrast(found[text], found[background])
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


def test_the_tokens_hold_a_type_scale_spacing_and_radii():
    found = tokens()
    for name in ["--imc-font-sans", "--imc-font-display", "--imc-text-base", "--imc-text-xl", "--imc-text-3xl"]:
        assert name in found, name
    for name in ["--imc-space-1", "--imc-space-2", "--imc-space-3", "--imc-space-4", "--imc-space-6"]:
        assert name in found, name
    assert "--imc-radius" in found and "--imc-radius-lg" in found


def test_bootstraps_variables_follow_the_tokens():
    css = SITE_CSS.read_text(encoding="utf-8")
    for bootstrap, token in [
        ("--bs-primary", "--imc-primary"),
        ("--bs-body-color", "--imc-ink"),
        ("--bs-body-font-family", "--imc-font-sans"),
        ("--bs-link-color", "--imc-link"),
        ("--bs-secondary-color", "--imc-muted"),
        ("--bs-border-radius", "--imc-radius"),
    ]:
        assert re.search(rf"{bootstrap}\s*:\s*var\({token}\)", css), f"{bootstrap} does not follow {token}"


def _svg(name: str) -> str:
    found = finders.find(f"img/{name}")
    assert found, f"static/img/{name} is missing"
    return Path(found).read_text(encoding="utf-8")


def _outline(svg: str) -> str:
    match = re.search(r'<path class="imc-state" d="([^"]+)"', svg)
    assert match, "no state outline in the mark"
    return match[1]


def test_the_favicon_is_the_logo_mark():
    assert _outline(_svg("favicon.svg")) == _outline(_svg("logo.svg"))


@pytest.mark.django_db
def test_the_header_carries_the_logo_mark_and_the_social_card_meta(client):
    body = client.get("/events/").content.decode()
    assert '<img src="/static/img/logo.svg"' in body
    card = f"{settings.SITE_URL}/static/img/social-card.png"
    assert f'<meta property="og:image" content="{card}">' in body
    assert '<meta property="og:image:width" content="1200">' in body
    assert '<meta name="twitter:card" content="summary_large_image">' in body
    assert f'<meta property="og:url" content="{settings.SITE_URL}/events/">' in body


def test_the_social_card_is_a_1200_by_630_png():
    found = finders.find("img/social-card.png")
    assert found, "static/img/social-card.png is missing"
    head = Path(found).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    assert struct.unpack(">II", head[16:24]) == (1200, 630)


@pytest.mark.django_db
def test_an_event_card_shows_the_date_at_a_glance():
    start = timezone.localtime(timezone.now() + timedelta(days=5)).replace(hour=18, minute=30)
    event = make_event(title="Lowell rally", start=start)
    html = render_to_string("events/_event_card.html", {"event": event})
    badge = re.search(r'<time class="date-badge"[^>]*>(.*?)</time>', html, re.S)
    assert badge, html
    text = " ".join(re.sub(r"<[^>]+>", " ", badge[1]).split())
    assert text == start.strftime("%b %-d %a")


@pytest.mark.django_db
def test_the_home_page_leads_with_the_next_events_statewide_the_map_and_the_numbers(client, lowell_group):
    make_event(title="Lowell rally")
    make_event(title="Pittsfield social", town="Pittsfield")
    body = client.get("/").content.decode()
    lead = body[body.index("<main") : body.index('id="home-newsletter-heading"')]
    assert "Next events in Massachusetts" in lead
    assert "Lowell rally" in lead and "Pittsfield social" in lead
    assert lead.count('class="date-badge"') == 2
    assert 'id="district-map"' in lead
    assert re.search(r'<strong class="stat-number">1</strong>\s*<span[^>]*>local group</span>', lead), lead
    assert re.search(r'<strong class="stat-number">2</strong>\s*<span[^>]*>upcoming events</span>', lead), lead
    assert body.count("Lowell rally") == 1  # the events are listed once


@pytest.mark.django_db
def test_a_member_sees_the_events_near_their_home_town_first(client, activist):
    make_event(title="Lowell rally")
    make_event(title="Pittsfield social", town="Pittsfield")
    client.force_login(activist)  # home town: Lowell
    body = client.get("/").content.decode()
    assert "Next events near Lowell" in body
    assert "Lowell rally" in body and "Pittsfield social" not in body


@pytest.mark.django_db
def test_a_member_far_from_every_event_sees_the_statewide_ones(client, activist):
    make_event(title="Pittsfield social", town="Pittsfield")
    client.force_login(activist)
    body = client.get("/").content.decode()
    assert "Next events in Massachusetts" in body and "Pittsfield social" in body


def test_the_mail_layout_opens_with_the_coalitions_name_in_its_colours():
    html = render_to_string("outbox/email_base.html", {"SITE_NAME": "Indivisible Mass Coalition"})
    header = re.search(r'<td class="imc-mail-header"[^>]*style="([^"]+)"[^>]*>(.*?)</td>', html, re.S)
    assert header, html
    assert "background-color:#1b2f4e" in header[1].replace(" ", "")
    assert "Indivisible Mass" in header[2]


@pytest.mark.django_db
def test_the_admin_header_carries_the_logo_mark(staff_client_factory, rep_ma3):
    body = staff_client_factory(rep_ma3).get("/admin/").content.decode()
    branding = body[body.index('id="branding"') : body.index("</header>")]
    assert "/static/img/logo.svg" in branding and "Indivisible Mass" in branding
