from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "linli.notices"
    label = "notices"
    verbose_name = "Community notices"

    def ready(self) -> None:
        from linli.notices import manifest, permissions  # noqa: F401  (module registry, rules)
