from django.apps import AppConfig


class ImcConfig(AppConfig):
    name = "imc"
    verbose_name = "Portal"
