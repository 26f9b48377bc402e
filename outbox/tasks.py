"""Celery interfaces of the outbox: thin, they take ids and call the services (default queue)."""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.tasks.send", acks_late=True)
def send(email_id: int) -> bool:
    return services.email_deliver(email_id=email_id)


@shared_task(name="outbox.tasks.send_batch", acks_late=True)
def send_batch(email_ids: list[int]) -> int:
    return services.emails_deliver_batch(email_ids=email_ids)


@shared_task(name="outbox.tasks.sweep")
def sweep() -> int:
    return services.email_sweep()
