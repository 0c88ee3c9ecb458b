from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "abonent.staff"
    label = "staff"
