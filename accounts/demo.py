"""The demo people: staff accounts with their board seats, the teams they lead, and an activist.

Everything here is fictional and marked as demo. It lives in accounts, which stands on districts
(a member's home town): the seats and teams it fills are districts' rows, the people are ours.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from accounts.mfa import totp_ensure
from accounts.models import Role
from accounts.services import user_ensure
from districts.models import BoardRole, BoardSeat, District, Team, Town

# For local use only; the README lists them.
DEMO_PASSWORD = "demo-pass-2026"
# The TOTP secret of every demo staff account (base32; add it to an authenticator app by hand).
# The admin opens to staff only after a TOTP code. For local use only; the README lists it.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def demo_email(local: str) -> str:
    return f"{local}@{settings.DEMO_EMAIL_DOMAIN}"


def seed(stdout) -> None:
    coordinator = user_ensure(
        email=demo_email("coordinator"),
        password=DEMO_PASSWORD,
        first_name="Casey",
        last_name="Coordinator (demo)",
        roles=(Role.COORDINATOR,),
        home_town=Town.objects.get(name="Boston"),
    )
    totp_ensure(user=coordinator, secret=DEMO_TOTP_SECRET)
    term_start = datetime.date(2025, 2, 1)
    for district in District.objects.all():
        rep = user_ensure(
            email=demo_email(f"rep-{district.slug}"),
            password=DEMO_PASSWORD,
            first_name=f"Rep {district.code}",
            last_name="(demo)",
            roles=(Role.DISTRICT_REP,),
            home_town=district.primary_towns.order_by("-population").first(),
        )
        totp_ensure(user=rep, secret=DEMO_TOTP_SECRET)
        BoardSeat.objects.update_or_create(
            district=district,
            role=BoardRole.REPRESENTATIVE,
            display_name=f"Demo representative for {district.code}",
            defaults={
                "user": rep,
                "term_start": term_start,
                "term_end": datetime.date(2027, 1, 31),
                "bio": "Demo data: a fictional board member for trying out the portal.",
            },
        )
        BoardSeat.objects.update_or_create(
            district=district,
            role=BoardRole.ALTERNATE,
            display_name=f"Demo alternate for {district.code}",
            defaults={"term_start": term_start, "term_end": datetime.date(2027, 1, 31), "bio": "Demo data."},
        )
    user_ensure(
        email=demo_email("activist"),
        password=DEMO_PASSWORD,
        first_name="Alex",
        last_name="Activist (demo)",
        home_town=Town.objects.get(name="Lowell"),
    )
    for name, description in [
        ("Communications (demo)", "Writes the newsletter and keeps the coalition's social media going."),
        ("Training (demo)", "Runs trainings on organizing, canvassing and meeting your legislators."),
        ("Voting Rights (demo)", "Works on ballot access and election protection across the state."),
    ]:
        Team.objects.update_or_create(
            name=name,
            defaults={
                "slug": name.lower().replace(" (demo)", "").replace(" ", "-"),
                "description": description,
                "how_to_help": "Say you want to help and the team's lead will get in touch.",
                "lead": coordinator,
            },
        )
    stdout.write("accounts: staff accounts, board seats and teams")
