"""Public site: home, tariffs, one tariff."""

from django.urls import path

from abonent.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.home, name="home"),
    path("tariffs/", views.tariff_list, name="tariffs"),
    path("tariffs/<slug:slug>/", views.tariff_detail, name="tariff"),
]
