from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Q

from accounts.models import User
from outbox.models import OutboundEmail


def user_addresses(user: User) -> set[str]:
    """Every address the account uses or used (the login, plus any added under email management)."""
    addresses = {user.email.lower()}
    addresses |= {email.lower() for email in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    return addresses


def outbox_rows_for(addresses: set[str]):
    """Outgoing mail that names one of the addresses as recipient or reply-to."""
    query = Q()
    for address in addresses:
        query |= Q(to__iexact=address) | Q(reply_to__iexact=address)
    return OutboundEmail.objects.filter(query) if addresses else OutboundEmail.objects.none()


def user_account_data(user: User) -> dict:
    """The accounts part of a member's data export (JSON-ready, datetimes as ISO strings)."""
    town = user.home_town
    return {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "is_staff": user.is_staff,
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user).order_by("email")
            ],
            # Which second factors are set up; never their secrets.
            "two_factor": [
                {
                    "type": a.type,
                    "created_at": a.created_at.isoformat(),
                    "last_used_at": a.last_used_at.isoformat() if a.last_used_at else None,
                }
                for a in Authenticator.objects.filter(user=user).order_by("created_at")
            ],
        },
        "profile": {
            "home_town": town.name if town else None,
            "county": town.county if town else None,
            "districts": [d.code for d in town.ordered_districts()] if town else [],
        },
        # Mail the portal sent or owes them (and relay messages they wrote), without bodies: those
        # hold one-time links that must not travel in a file.
        "emails": [
            {
                "to": row.to,
                "kind": row.kind,
                "subject": row.subject,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            }
            for row in outbox_rows_for(user_addresses(user)).order_by("created_at")
        ],
    }
