from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.models import NotificationKind, NotificationMode, NotificationPreference, Role, User
from accounts.selectors import outbox_rows_naming, user_verified_addresses
from districts.models import Town
from imc.registry import Kind, contributions
from imc.validators import require_clean_text


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, home_town: Town | None) -> User:
    require_clean_text(User, {"first_name": first_name, "last_name": last_name})
    user.first_name = first_name
    user.last_name = last_name
    user.home_town = home_town
    user.save(update_fields=["first_name", "last_name", "home_town"])
    return user


@transaction.atomic
def notification_preferences_set(*, user: User, modes: dict[str, str]) -> None:
    """Record how the member wants each kind of notification (``{kind: mode}``). A kind or a
    mode that does not exist is refused whole: nothing is written."""
    unknown = [k for k, m in modes.items() if k not in NotificationKind.values or m not in NotificationMode.values]
    if unknown:
        raise ValueError(f"Unknown notification settings: {', '.join(sorted(unknown))}")
    for kind, mode in modes.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})


@transaction.atomic
def user_ensure(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    roles: tuple[Role, ...] = (),
    home_town: Town | None = None,
) -> User:
    """Create or update an account with a verified address (demo data and tests)."""
    user, _ = User.objects.get_or_create(email=email.lower())
    user.first_name = first_name
    user.last_name = last_name
    user.home_town = home_town
    user.is_staff = bool(roles)
    user.set_password(password)
    user.save()
    for role in roles:
        user.groups.add(Group.objects.get(name=role.value))
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a member's account and everything that names them.

    Memberships, RSVPs and the like go with the user row (their foreign keys cascade); each app's
    ``Kind.ERASE_USER_DATA`` contribution removes what is keyed otherwise. Outgoing mail to or
    from their addresses is deleted too, so the mail log keeps no address of theirs (nor does the
    admin's log); mail still queued for them is never sent.

    "Their addresses" are the verified ones only (``user_verified_addresses``): an address added
    to the account but never confirmed may be somebody else's, whose subscription and mail stay.
    """
    addresses = user_verified_addresses(user)
    for contribution in contributions(Kind.ERASE_USER_DATA):
        contribution.function(user)
    outbox_rows_naming(addresses).delete()
    # The admin's history of staff changes to this account stays (who did what, when), but its
    # label was the address.
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
        object_repr=f"Deleted account #{user.pk}"
    )
    user.delete()
