from django.apps import AppConfig


class SandboxAcquirerConfig(AppConfig):
    name = "abonent.sandbox_acquirer"
    label = "sandbox_acquirer"
