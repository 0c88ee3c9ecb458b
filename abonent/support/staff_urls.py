"""Back-office URLs of support tickets (under /staff/support/)."""

from django.urls import path

from abonent.support import staff_views

app_name = "support_staff"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("canned/", staff_views.canned_list, name="canned"),
    path("canned/<int:answer_id>/", staff_views.canned_edit, name="canned_edit"),
    path("<int:ticket_id>/", staff_views.ticket_detail, name="ticket"),
    path("<int:ticket_id>/take/", staff_views.ticket_take_view, name="take"),
    path("<int:ticket_id>/status/", staff_views.ticket_status_view, name="status"),
    path(
        "<int:ticket_id>/files/<int:attachment_id>/",
        staff_views.attachment_view,
        name="attachment",
    ),
]
