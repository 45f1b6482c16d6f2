"""Model fields that encrypt on write and authenticate on read."""

from __future__ import annotations

from typing import Any

from django.db import models

from linli.privacy import crypto


class EncryptedTextField(models.TextField):
    """A text value stored AES-256-GCM encrypted. Not filterable: use a blind index for lookups.

    ``category`` names the personal-data category (see ``linli.privacy.inventory``)."""

    def __init__(self, *args: Any, category: str = "personal", **kwargs: Any) -> None:
        self.category = category
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, Any, Any, Any]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["category"] = self.category
        return name, path, args, kwargs

    @property
    def encryption_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return crypto.decrypt(value, context=self.encryption_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value), context=self.encryption_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError("encrypted fields cannot be searched; use the blind index")
        return super().get_lookup(lookup_name)
