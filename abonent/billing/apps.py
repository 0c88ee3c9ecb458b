from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "abonent.billing"
    label = "billing"
