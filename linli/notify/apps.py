from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "linli.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from linli.notify import checks, manifest  # noqa: F401  (system checks, module registry)
