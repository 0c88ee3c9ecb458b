"""The cabinet's mail, under /cabinet/mail/."""

from django.urls import path

from abonent.messaging import views

app_name = "mail"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("read-all/", views.read_all_view, name="read_all"),
    path("settings/", views.settings_view, name="settings"),
    path("<int:message_id>/", views.message_view, name="message"),
]
