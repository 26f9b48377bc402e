from django.urls import path

from events import attendance_views, guest_views, views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("calendar/", views.event_calendar, name="calendar"),
    path("calendar.ics", views.calendar_ics, name="calendar_ics"),
    path("new/", views.event_create, name="create"),
    path("feed/reset/", views.member_feed_reset, name="member_feed_reset"),
    path("feed/<token:token>.ics", views.member_feed, name="member_feed"),
    path("cant-come/<token:token>/", views.cant_come, name="cant_come"),
    path("co-hosting/<int:pk>/", views.cohost_answer, name="cohost_answer"),
    # Guests (no account): confirm by the mailed link, manage by link, their data by link.
    path("guest/confirm/<token:token>/", guest_views.guest_confirm, name="guest_confirm"),
    path("guest/my-rsvps/", guest_views.guest_link_request, name="guest_link_request"),
    path("guest/my-rsvps/<token:token>/", guest_views.guest_manage, name="guest_manage"),
    path("guest/my-data/", guest_views.guest_data_request, name="guest_data_request"),
    path("guest/my-data/<token:token>/", guest_views.guest_data, name="guest_data"),
    path("<slug:slug>/", views.event_detail, name="detail"),
    path("<slug:slug>/event.ics", views.event_ics_view, name="ics"),
    path("<slug:slug>/rsvp/", views.rsvp, name="rsvp"),
    path("<slug:slug>/rsvp/cancel/", views.rsvp_cancel, name="rsvp_cancel"),
    path("<slug:slug>/rsvp/guest/", guest_views.guest_rsvp, name="guest_rsvp"),
    path("<slug:slug>/edit/", views.event_edit, name="edit"),
    path("<slug:slug>/publish/", views.event_publish, name="publish"),
    path("<slug:slug>/cancel/", views.event_cancel, name="cancel"),
    path("<slug:slug>/attendees/", views.attendees, name="attendees"),
    path("<slug:slug>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/questions/", views.event_questions, name="questions"),
    # On the day and after (events.attendance): check-in at the door, messages, the thank-you.
    path("<slug:slug>/check-in/", attendance_views.check_in, name="check_in"),
    path("<slug:slug>/check-in/walk-in/", attendance_views.check_in_walk_in, name="check_in_walk_in"),
    path("<slug:slug>/check-in/<int:pk>/", attendance_views.check_in_mark, name="check_in_mark"),
    path("<slug:slug>/message/", attendance_views.message_attendees, name="message_attendees"),
    path("<slug:slug>/thank-you/", attendance_views.thank_you, name="thank_you"),
]
