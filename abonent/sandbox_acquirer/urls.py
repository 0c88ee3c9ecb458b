"""URLs of the sandbox acquirer: its API, the hosted pages and receipts."""

from django.urls import path

from . import http_api, views

app_name = "sandbox_acquirer"

urlpatterns = [
    path("api/v3/payments", http_api.payments, name="api_payments"),
    path("api/v3/payments/<str:payment_id>", http_api.payment_detail, name="api_payment"),
    path("api/v3/refunds", http_api.refunds, name="api_refunds"),
    path("pay/<str:payment_id>", views.pay, name="pay"),
    path("pay/<str:payment_id>/3ds", views.three_ds, name="three_ds"),
    path("pay/<str:payment_id>/cancel", views.abandon, name="abandon"),
    path("receipts/<str:payment_id>", views.receipt, name="receipt"),
]
