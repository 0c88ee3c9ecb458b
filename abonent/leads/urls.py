"""Public site: the connection request form and its success page."""

from django.urls import path

from abonent.leads import views

app_name = "leads"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("connect/done/", views.done, name="done"),
]
