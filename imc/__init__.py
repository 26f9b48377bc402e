"""The ground floor every app imports: shared helpers, the contributions registry, and the
settings, WSGI and Celery entry points that deployers name (``imc.settings``, ``celery -A imc``).

Nothing here imports an app (``tests/foundation/test_registry.py`` holds it so): what the apps
give each other goes through ``imc.registry``, and the URL map that mounts them is the roof,
``portal``.
"""

from imc.celery import app as celery_app

__all__ = ["celery_app"]
