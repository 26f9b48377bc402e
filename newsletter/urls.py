from django.urls import path

from newsletter import staff_views, views
from newsletter.feeds import ArchiveFeed

app_name = "newsletter"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("thanks/", views.thanks, name="thanks"),
    path("confirm/<token:token>/", views.confirm, name="confirm"),
    path("unsubscribe/test-copy/", views.test_copy_unsubscribe, name="test_copy_unsubscribe"),
    path("unsubscribe/<token:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<token:token>/", views.preferences, name="preferences"),
    path("member/", views.member_subscription, name="member"),
    path("feed/", ArchiveFeed(), name="feed"),
    path("staff/", staff_views.issue_list, name="staff_list"),
    path("staff/new/", staff_views.issue_edit, name="staff_new"),
    path("staff/preview/", staff_views.live_preview, name="staff_live_preview"),
    path("staff/<int:pk>/", staff_views.issue_edit, name="staff_edit"),
    path("staff/<int:pk>/email/", staff_views.email_preview, name="staff_email_preview"),
    path("staff/<int:pk>/progress.json", staff_views.progress_json, name="staff_progress"),
    path("staff/<int:pk>/test/", staff_views.send_test, name="staff_test"),
    path("staff/<int:pk>/schedule/", staff_views.schedule, name="staff_schedule"),
    path("staff/<int:pk>/send/", staff_views.send_now, name="staff_send"),
    path("staff/<int:pk>/<slug:action>/", staff_views.state_action, name="staff_action"),
    path("<slug:slug>/", views.archive_detail, name="archive_detail"),
]
