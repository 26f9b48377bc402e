"""Celery interfaces of the events app: thin, they take ids and call the reminder services."""

from celery import shared_task

from events import reminders


@shared_task(name="events.tasks.reminders_tick")
def reminders_tick() -> int:
    return reminders.reminders_tick()


@shared_task(name="events.tasks.reminders_send", acks_late=True)
def reminders_send(reminder_ids: list[int]) -> int:
    return reminders.reminders_deliver_batch(reminder_ids=reminder_ids)
