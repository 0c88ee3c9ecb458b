from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "abonent.catalogue"
    label = "catalogue"
