"""Celery interfaces of the events app: thin, they call the reminder services.

The tick writes reminder emails to the outbox; ``outbox.tasks.send_batch`` delivers them.
"""

from celery import shared_task

from events import reminders, services


@shared_task(name="events.tasks.reminders_tick")
def reminders_tick() -> int:
    # The same minute's beat gives back the seats of guests who never confirmed.
    services.guest_holds_release()
    return reminders.reminders_tick()
