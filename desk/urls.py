from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("", views.index, name="index"),
    # Before the districts: "statewide" is no district's slug (they are ma-1 .. ma-9).
    path("statewide/", views.statewide, name="statewide"),
    path("statewide/health.csv", views.statewide_csv, name="statewide_csv"),
    path("<slug:district>/", views.district, name="district"),
    path("<slug:district>/reach-out/", views.reach_out, name="reach_out"),
    path("<slug:district>/featured/", views.featured, name="featured"),
    path("<slug:district>/groups/<slug:slug>/", views.group, name="group"),
]
