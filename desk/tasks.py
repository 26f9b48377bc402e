"""Periodic work of the desk (scheduled in ``CELERY_BEAT_SCHEDULE``). Each service records what it
did in the database (a count per group and day, a digest per rep and week), so a repeated or
overlapping run does no harm."""

from __future__ import annotations

from celery import shared_task

from desk import services


@shared_task
def member_counts() -> int:
    return services.member_counts_record()


@shared_task
def weekly_digests() -> int:
    return services.digests_send_weekly()
