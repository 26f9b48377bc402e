"""Celery is just another interface: tasks take ids and call services."""

from celery import shared_task

from newsletter import services


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
        raise self.retry(exc=exc, countdown=30) from exc


@shared_task(name="newsletter.tasks.sweep")
def sweep() -> dict:
    return services.newsletter_sweep()
