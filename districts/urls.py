from django.urls import path

from districts import views
from districts.models import Chamber

app_name = "districts"
urlpatterns = [
    path("", views.district_list, name="list"),
    # The General Court's districts, before the congressional slug that would swallow them.
    path("state-house/", views.state_district_list, {"chamber": Chamber.HOUSE}, name="state_house_list"),
    path("state-senate/", views.state_district_list, {"chamber": Chamber.SENATE}, name="state_senate_list"),
    path("state-house/<slug:slug>/", views.state_district_detail, {"chamber": Chamber.HOUSE}, name="state_house"),
    path("state-senate/<slug:slug>/", views.state_district_detail, {"chamber": Chamber.SENATE}, name="state_senate"),
    path("<slug:slug>/", views.district_detail, name="detail"),
]
