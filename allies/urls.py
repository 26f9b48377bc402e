from django.urls import path

from allies import views

app_name = "allies"
urlpatterns = [
    path("", views.ally_list, name="list"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/write/", views.write, name="write"),
]
