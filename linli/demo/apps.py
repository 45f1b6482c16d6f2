from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "linli.demo"
    label = "demo"
    verbose_name = "Demo data"
