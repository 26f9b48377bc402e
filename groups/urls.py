from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("submit/", views.submit, name="submit"),
    path("confirm/<token:token>/", views.confirm, name="confirm"),
    path("map.json", views.map_data, name="map_data"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/contact/", views.contact, name="contact"),
    path("<slug:slug>/claim/", views.claim, name="claim"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members.csv", views.members_csv, name="members_csv"),
    path("<slug:slug>/members/<int:pk>/", views.member_decide, name="member_decide"),
]
