"""Periodic work for groups (scheduled in ``CELERY_BEAT_SCHEDULE``). Each task calls a service
whose progress is recorded in the database, so a repeated or overlapping run does no harm."""

from __future__ import annotations

from celery import shared_task

from groups import notifications, services


@shared_task
def request_confirmation() -> int:
    return services.groups_request_confirmation()


@shared_task
def mark_stale() -> int:
    return services.groups_mark_stale()


@shared_task
def purge_relay_messages() -> int:
    return services.relay_purge()


@shared_task
def send_digests() -> int:
    """The daily digest (at ``GROUPS_DIGEST_HOUR``): one mail per person with items waiting."""
    return notifications.digests_send()
