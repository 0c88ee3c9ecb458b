"""Back-office URLs of network access (under /staff/network/)."""

from django.urls import path

from abonent.network import views_staff, views_staff_speed

app_name = "network_staff"
urlpatterns = [
    path("", views_staff.sessions, name="sessions"),
    path(
        "sessions/<int:radacct_id>/disconnect/",
        views_staff.session_disconnect_view,
        name="disconnect",
    ),
    path("changes/", views_staff.changes, name="changes"),
    path(
        "accounts/<int:account_id>/sessions/",
        views_staff.account_sessions,
        name="account_sessions",
    ),
    path(
        "accounts/<int:account_id>/credential/",
        views_staff.credential_edit,
        name="credential",
    ),
    path(
        "accounts/<int:account_id>/password/",
        views_staff.credential_password,
        name="password",
    ),
    path("nas/", views_staff.nas_list, name="nas_list"),
    path("nas/new/", views_staff.nas_edit, name="nas_new"),
    path("nas/restricted/", views_staff.restricted_group_edit, name="restricted"),
    path("nas/<int:nas_id>/", views_staff.nas_edit, name="nas_edit"),
    path("nas/<int:nas_id>/delete/", views_staff.nas_delete_view, name="nas_delete"),
    path("speed/", views_staff_speed.speed_list, name="speed"),
    path("speed/new/", views_staff_speed.speed_edit, name="speed_new"),
    path("speed/restore/", views_staff_speed.speed_restore, name="speed_restore"),
    path("speed/<int:template_id>/", views_staff_speed.speed_edit, name="speed_edit"),
    path("speed/<int:template_id>/delete/", views_staff_speed.speed_delete, name="speed_delete"),
]
