from django.urls import path

from . import views
from .jobs import views as jobs

app_name = "core"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/language/", views.set_language, name="set_language"),
    path("profile/tokens/", views.tokens, name="tokens"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/menu/", views.notifications_menu, name="notifications_menu"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job_download"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("settings/users/", views.user_list, name="users"),
    path("settings/users/new/", views.user_edit, name="user_create"),
    path("settings/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("settings/teams/", views.team_list, name="teams"),
    path("settings/teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("settings/fields/", views.custom_field_list, name="custom_fields"),
    path("settings/fields/new/", views.custom_field_edit, name="custom_field_create"),
    path(
        "settings/fields/<int:pk>/", views.custom_field_edit, name="custom_field_edit"
    ),
]
