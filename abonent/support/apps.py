from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "abonent.support"
    label = "support"
