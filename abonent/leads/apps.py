from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "abonent.leads"
    label = "leads"
