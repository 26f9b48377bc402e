"""Celery interfaces of the events app: thin, they call the reminder services.

The tick writes reminder emails to the outbox; ``outbox.tasks.send_batch`` delivers them.
"""

from celery import shared_task

from events import reminders


@shared_task(name="events.tasks.reminders_tick")
def reminders_tick() -> int:
    return reminders.reminders_tick()
