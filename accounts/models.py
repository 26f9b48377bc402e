from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from imc.validators import validate_single_line


class Role(models.TextChoices):
    """Names of the Django groups that carry staff roles (created by a data migration)."""

    DISTRICT_REP = "District reps"
    COORDINATOR = "Coordinators"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person with an account. The email address is the login."""

    username = None
    email = models.EmailField("email address", unique=True)
    # Django's own name fields, with the rule of every single-line field (imc.validators).
    first_name = models.CharField("first name", max_length=150, blank=True, validators=[validate_single_line])
    last_name = models.CharField("last name", max_length=150, blank=True, validators=[validate_single_line])
    home_town = models.ForeignKey(
        "districts.Town",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
        help_text="Places you in a congressional district.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.first_name or self.email.split("@")[0]

    @property
    def home_district(self):
        return self.home_town.primary_district if self.home_town_id else None

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role.value).exists()

    @property
    def is_coordinator(self) -> bool:
        return self.is_superuser or (self.is_staff and self.has_role(Role.COORDINATOR))

    @property
    def is_district_rep(self) -> bool:
        return self.is_staff and self.has_role(Role.DISTRICT_REP)


class NotificationKind(models.TextChoices):
    """What a person who looks after others may be emailed about, each as it happens or in a
    daily digest. The groups app writes these mails; the choice is a profile setting, so it is
    kept here, below the apps that read it."""

    JOIN_REQUEST = "join_request", "Requests to join a group you organize"
    TEAM_OFFER = "team_offer", "Offers to help a team you lead"
    NEW_LISTING = "new_listing", "New group listings in your district"
    NEW_CLAIM = "new_claim", "Claims of group listings in your district"


class NotificationMode(models.TextChoices):
    IMMEDIATE = "immediate", "Each email as it happens"
    DIGEST = "digest", "One daily digest"


class NotificationPreferenceQuerySet(models.QuerySet):
    def digest_user_ids(self, kind: NotificationKind, user_ids: list[int]) -> set[int]:
        """Which of these people chose the daily digest for this kind (one query). Nobody's row
        means "as it happens", the default."""
        rows = self.filter(kind=kind, user_id__in=user_ids, mode=NotificationMode.DIGEST)
        return set(rows.values_list("user_id", flat=True))


class NotificationPreference(models.Model):
    """A person's choice for one kind of notification; a missing row is the default (at once)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    mode = models.CharField(max_length=10, choices=NotificationMode.choices, default=NotificationMode.IMMEDIATE)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_notification_preference")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"
