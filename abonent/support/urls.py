"""The cabinet's support pages, under /cabinet/support/."""

from django.urls import path

from abonent.support import views

app_name = "support"
urlpatterns = [
    path("", views.ticket_list, name="tickets"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("<int:ticket_id>/close/", views.ticket_close_view, name="ticket_close"),
    path("<int:ticket_id>/reopen/", views.ticket_reopen_view, name="ticket_reopen"),
    path(
        "<int:ticket_id>/files/<int:attachment_id>/",
        views.attachment_view,
        name="attachment",
    ),
]
