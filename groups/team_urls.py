from django.urls import path

from groups import team_views

app_name = "teams"
urlpatterns = [
    path("", team_views.team_list, name="list"),
    path("<slug:slug>/", team_views.team_detail, name="detail"),
    path("<slug:slug>/help/", team_views.volunteer, name="volunteer"),
    path("<slug:slug>/withdraw/", team_views.withdraw, name="withdraw"),
    path("<slug:slug>/contact/", team_views.contact, name="contact"),
]
