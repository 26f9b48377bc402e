from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("data/", views.data_export, name="data_export"),
    path("delete/", views.account_delete, name="delete"),
]
