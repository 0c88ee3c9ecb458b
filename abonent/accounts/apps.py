from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "abonent.accounts"
    label = "accounts"
