"""The beat task of the imports (``CELERY_BEAT_SCHEDULE``, every ``MOBILIZE_SYNC_MINUTES``).

Each source is claimed by a conditional update before it syncs, so overlapping runs do no harm.
"""

from __future__ import annotations

from celery import shared_task

from imports import services


@shared_task(name="imports.tasks.sync_sources")
def sync_sources() -> int:
    return services.sources_sync_due()
