from celery import shared_task

from outbox import services


@shared_task(name="outbox.tasks.send", acks_late=True)
def send(email_id: int) -> bool:
    return services.email_deliver(email_id=email_id)


@shared_task(name="outbox.tasks.sweep")
def sweep() -> int:
    return services.email_sweep()
