from django.apps import AppConfig


class CabinetConfig(AppConfig):
    name = "abonent.cabinet"
    label = "cabinet"
