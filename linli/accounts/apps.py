from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from linli.accounts import manifest, permissions  # noqa: F401
