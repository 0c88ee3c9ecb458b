"""URLs of payments: the gateways' notifications and the return page."""

from django.urls import path

from abonent.payments import views

app_name = "payments"
urlpatterns = [
    path("webhooks/<slug:gateway>/", views.webhook_view, name="webhook"),
    path("return/<int:payment_id>/", views.return_view, name="return"),
    path("return/<int:payment_id>/status/", views.status_view, name="status"),
]
