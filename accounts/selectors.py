from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Q

from accounts.models import NotificationKind, NotificationMode, NotificationPreference, User
from districts.models import BoardSeat, Team
from imc.registry import Kind, contributions
from outbox.models import OutboundEmail


def notification_kinds_for(user: User) -> list[NotificationKind]:
    """The kinds of notification that can reach this member, for their profile: requests to join
    (anyone may organize a group, and organizing is the groups app's to know), team offers for a
    team lead, listings and claims for the holder of a district's seat (whom groups mails)."""
    kinds = [NotificationKind.JOIN_REQUEST]
    if Team.objects.filter(lead=user).exists():
        kinds.append(NotificationKind.TEAM_OFFER)
    if BoardSeat.objects.current().filter(user=user).exists():
        kinds += [NotificationKind.NEW_LISTING, NotificationKind.NEW_CLAIM]
    return kinds


def notification_modes(user: User) -> dict[str, str]:
    """The member's choice for every kind, the default (as it happens) where they made none."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
    return {kind: chosen.get(kind, NotificationMode.IMMEDIATE) for kind in NotificationKind.values}


def user_verified_addresses(user: User) -> set[str]:
    """The addresses the member has proved are theirs (lower-cased): the one rule of what their
    data download shows and what deleting their account deletes, besides rows linked to the user.

    Anybody can type somebody else's address at /accounts/email/ or into a form; only following
    the link mailed to it makes it theirs. The login address counts only if it was confirmed too
    (an account made in the shell or edited in the admin may carry one nobody confirmed). With
    ACCOUNT_UNIQUE_EMAIL, a verified address belongs to one account at most.
    """
    return {
        email.lower() for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


def address_match(field: str, addresses: set[str]) -> Q:
    """A filter for rows whose ``field`` is one of the addresses, in any case (forms keep what
    was typed); none at all when there are no addresses."""
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(**{f"{field}__iexact": address})
    return query


def outbox_rows_to(addresses: set[str]):
    """Mail the portal sent or owes to one of the addresses: what the member's download lists.

    Not the mail that only names them as reply-to (a relay message they wrote): its recipient is
    an organizer or a team lead whose address the relay exists to keep from them. The message
    itself is in their download under groups (``messages_sent``).
    """
    return OutboundEmail.objects.filter(address_match("to", addresses))


def outbox_rows_naming(addresses: set[str]):
    """Mail to one of the addresses or carrying one as its reply-to: what deleting the account
    deletes, so that the mail log keeps no address of theirs."""
    return OutboundEmail.objects.filter(address_match("to", addresses) | address_match("reply_to", addresses))


def user_account_data(user: User) -> dict:
    """The accounts part of a member's data export (JSON-ready, datetimes as ISO strings)."""
    town = user.home_town
    verified = user_verified_addresses(user)
    addresses = EmailAddress.objects.filter(user=user).order_by("email")
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
                {"email": e.email, "verified": e.verified, "primary": e.primary} for e in addresses if e.verified
            ],
            # An address added but never confirmed may be somebody else's: counted, not named
            # (the account's email page lists it to its signed-in owner).
            "unverified_addresses": sum(1 for e in addresses if not e.verified),
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
        # How they chose to hear about what needs them (the default where they chose nothing).
        "notification_settings": notification_modes(user),
        # Mail the portal sent or owes them, without bodies: those hold one-time links that must
        # not travel in a file.
        "emails": [
            {
                "to": row.to,
                "kind": row.kind,
                "subject": row.subject,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            }
            for row in outbox_rows_to(verified).order_by("created_at")
        ],
    }


def user_data(user: User) -> dict:
    """Everything the portal holds about one member: their account, then each app's part under
    its label (the apps' ``Kind.EXPORT_USER_DATA`` contributions)."""
    data = user_account_data(user)
    for contribution in contributions(Kind.EXPORT_USER_DATA):
        data[contribution.app_label] = contribution.function(user)
    return data
