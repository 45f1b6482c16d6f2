from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "linli.areas"
    label = "areas"
    verbose_name = "Areas"

    def ready(self) -> None:
        from linli.areas import manifest  # noqa: F401
