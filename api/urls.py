from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("", views.index, name="index"),
    path("v1/", views.ApiRoot.as_view(), name="root"),
    path("v1/events/", views.EventList.as_view(), name="events"),
    path("v1/groups/", views.GroupList.as_view(), name="groups"),
    path("v1/districts/", views.DistrictList.as_view(), name="districts"),
    path("v1/teams/", views.TeamList.as_view(), name="teams"),
    path("v1/schema/", views.Schema.as_view(), name="schema"),
]
