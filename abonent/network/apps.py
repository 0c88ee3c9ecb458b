from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "abonent.network"
    label = "network"
