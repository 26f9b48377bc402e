from django.urls import path

from api import views

app_name = "api"


def read_only(view):
    """DRF marks its views CSRF-exempt (its session authentication checks the token itself). The
    API has no authentication and no method but GET, HEAD and OPTIONS, which CSRF never checks, so
    it keeps Django's protection like every other page: the only exempt views stay the ones
    tests/trust/test_csrf_exempt.py holds to their own proof."""
    view.csrf_exempt = False
    return view


urlpatterns = [
    path("", views.index, name="index"),
    path("v1/", read_only(views.ApiRoot.as_view()), name="root"),
    path("v1/events/", read_only(views.EventList.as_view()), name="events"),
    path("v1/events/<int:event_id>/", read_only(views.EventDetail.as_view()), name="event"),
    path("v1/groups/", read_only(views.GroupList.as_view()), name="groups"),
    path("v1/groups/<slug:slug>/", read_only(views.GroupDetail.as_view()), name="group"),
    path("v1/districts/", read_only(views.DistrictList.as_view()), name="districts"),
    path("v1/districts/<slug:slug>/", read_only(views.DistrictDetail.as_view()), name="district"),
    path("v1/teams/", read_only(views.TeamList.as_view()), name="teams"),
    path("v1/teams/<slug:slug>/", read_only(views.TeamDetail.as_view()), name="team"),
    path("v1/schema/", read_only(views.Schema.as_view()), name="schema"),
]
