from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Role, User
from districts.models import Town


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, home_town: Town | None) -> User:
    user.first_name = first_name
    user.last_name = last_name
    user.home_town = home_town
    user.save(update_fields=["first_name", "last_name", "home_town"])
    return user


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
