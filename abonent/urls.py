"""URL map: public site, back office, API."""

from django.urls import include, path
from django.views.i18n import set_language

from abonent.api import api
from abonent.core.api_errors import api_urls

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    # every answer under /api/v1/ is JSON, unknown paths and wrong methods included
    path("api/v1/", api_urls(api)),
    path("staff/support/", include("abonent.support.staff_urls")),
    path("staff/network/", include("abonent.network.staff_urls")),
    path("staff/", include("abonent.staff.urls")),
    path("sandbox-acquirer/", include("abonent.sandbox_acquirer.urls")),
    path("payments/", include("abonent.payments.urls")),
    path("cabinet/pay/", include("abonent.payments.cabinet_urls")),
    path("cabinet/mail/", include("abonent.messaging.urls")),
    path("cabinet/support/", include("abonent.support.urls")),
    path("cabinet/connection/", include("abonent.network.urls")),
    path("cabinet/", include("abonent.cabinet.urls")),
    path("", include("abonent.leads.urls")),
    path("", include("abonent.catalogue.urls")),
]
