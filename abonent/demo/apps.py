from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "abonent.demo"
    label = "demo"
