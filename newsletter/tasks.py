"""Celery is just another interface: tasks take ids and call services.

``prepare`` and ``send_chunk`` run on the bulk queue (settings.CELERY_TASK_ROUTES) with workers of
their own, so that a large send never holds up single messages on the default queue.
"""

from celery import shared_task

from newsletter import services
from outbox.classify import retry_policy


@shared_task(name="newsletter.tasks.prepare", acks_late=True)
def prepare(newsletter_id: int) -> int:
    return services.newsletter_prepare(newsletter_id=newsletter_id)


@shared_task(name="newsletter.tasks.send_chunk", bind=True, acks_late=True, max_retries=20)
def send_chunk(self, chunk_id: int) -> int:
    try:
        return services.chunk_send(chunk_id=chunk_id)
    except Exception as exc:
        # The chunk is back in the queued state; the sweeper would find it too. Run in-process
        # (no broker), a retry would loop at once, so the sweeper alone takes it up again.
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=retry_policy().backoff_seconds) from exc


@shared_task(name="newsletter.tasks.sweep")
def sweep() -> dict:
    return services.newsletter_sweep()


@shared_task(name="newsletter.tasks.purge_requests")
def purge_requests() -> dict:
    return services.subscription_requests_purge()
