from celery import shared_task


@shared_task(name="imc.tasks.ping", ignore_result=False)
def ping() -> str:
    """A trivial task: proves that a worker takes work from the broker and answers."""
    return "pong"
