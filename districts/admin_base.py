"""The one admin base for role scoping: who may look at a model in the admin, and who may write.

Every model admin that is scoped by role alone (not by district: groups and events have their
own policies for that) says it with two class attributes instead of five methods of its own:

- ``readers``: who sees the model: ``Readers.COORDINATORS`` (the default: personal data such as
  RSVPs, reminders, relayed messages, subscribers) or ``Readers.STAFF`` (every active staff
  member, reps included: reference data such as districts and towns).
- ``coordinator_writes``: what coordinators may do beyond looking, a subset of ``WRITES``. Nobody
  else ever writes through these admins; the default is read-only for everyone.

It lives in ``districts`` because the roles it asks about are the districts policy's
(``is_coordinator``), and ``imc`` below every app imports none of them.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from districts.policy import is_coordinator


class Readers(models.TextChoices):
    COORDINATORS = "coordinators", "Coordinators only"
    STAFF = "staff", "Every staff member"


ADD, CHANGE, DELETE = "add", "change", "delete"
WRITES = frozenset({ADD, CHANGE, DELETE})


def _is_active_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


class RoleScopedAdmin(admin.ModelAdmin):
    readers: ClassVar[str] = Readers.COORDINATORS
    coordinator_writes: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # A typo ("edit") would silently make a model read-only: refuse it when the class is made.
        if not set(cls.coordinator_writes) <= WRITES or cls.readers not in Readers.values:
            raise TypeError(f"{cls.__name__}: readers must be a Readers, coordinator_writes a subset of {WRITES}.")

    def _may_read(self, request: HttpRequest) -> bool:
        if self.readers == Readers.STAFF:
            return _is_active_staff(request.user)
        return is_coordinator(request.user)

    def _may_write(self, request: HttpRequest, action: str) -> bool:
        return action in self.coordinator_writes and is_coordinator(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_read(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_read(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_write(request, ADD)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request, CHANGE)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request, DELETE)
