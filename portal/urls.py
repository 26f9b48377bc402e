"""The portal's URL map: the roof that mounts every app (the apps never import it)."""

from django.contrib import admin
from django.urls import include, path

from districts import views as district_views
from events import views as event_views
from imc.webhooks import webhook_patterns
from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
    path("find/", district_views.find, name="find"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Group and district calendars live under their own pages (served by the events app).
    path("groups/<slug:slug>/calendar.ics", event_views.group_calendar_ics, name="group_calendar_ics"),
    path("districts/<slug:slug>/calendar.ics", event_views.district_calendar_ics, name="district_calendar_ics"),
    path("districts/", include("districts.urls")),
    path("groups/", include("groups.urls")),
    path("teams/", include("groups.team_urls")),
    path("events/", include("events.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("allies/", include("allies.urls")),
    # The public read API and its documentation page (the api app, mounted by name: nothing imports it).
    path("api/", include("api.urls")),
    # Tracking webhooks of the email service (bounces, complaints); see newsletter.receivers.
    # Off (404) until ANYMAIL_WEBHOOK_SECRET is set: see imc.webhooks.
    path("anymail/", include(webhook_patterns())),
    # The district desk: staff only (desk.policy).
    path("desk/", include("desk.urls")),
    # Pages made for other sites' iframes: the only ones another site may frame (embed.views).
    path("embed/", include("embed.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
