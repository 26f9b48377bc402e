"""The roof of the house: the URL map and the portal's own pages, which import the apps.

The ground floor that every app imports is ``imc`` (shared helpers, the registry, and the
settings, WSGI and Celery entry points deployers name); nothing there imports an app.
"""
