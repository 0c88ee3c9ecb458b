from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "abonent.payments"
    label = "payments"
