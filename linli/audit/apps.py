from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "linli.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from linli.audit import manifest, permissions  # noqa: F401
