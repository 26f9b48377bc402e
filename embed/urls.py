from django.urls import path

from embed import views

app_name = "embed"

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/<slug:slug>/", views.event_card, name="event"),
    path("groups/<slug:slug>/events/", views.group_events, name="group_events"),
    path("districts/<slug:district>/events/", views.district_events, name="district_events"),
    path("find/", views.find, name="find"),
]
