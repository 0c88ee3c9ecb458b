"""Cabinet URLs of network access (under /cabinet/connection/)."""

from django.urls import path

from abonent.network import views

app_name = "network"
urlpatterns = [
    path("", views.connection_view, name="connection"),
]
