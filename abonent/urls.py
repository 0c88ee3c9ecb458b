"""URL map: public site, back office, API."""

from django.urls import include, path
from django.views.i18n import set_language

from abonent.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("staff/", include("abonent.staff.urls")),
    path("cabinet/", include("abonent.cabinet.urls")),
    path("", include("abonent.leads.urls")),
    path("", include("abonent.catalogue.urls")),
]
