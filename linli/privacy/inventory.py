"""The data inventory (个人信息清单, SECURITY.md F1; PIPL art. 13, 19, 28; GB/T 35273-2020 §5).

Every personal field in the project declares its category, its legal basis for processing, how
long it is kept and why it is held. The foundation's fields are declared below; a feature module
declares its own in its ``manifest.py`` (loaded at start-up) with ``declare(...)``::

    from linli.privacy.inventory import LegalBasis, PersonalField, declare
    declare(PersonalField("registry.person", "id_number", "id_number", LegalBasis.STATUTORY_DUTY,
                          _("while the person is registered, then 5 years"), _("identity check")))

``personal_fields_found()`` walks ``apps.get_models()`` for fields that are personal by their
nature — every ``EncryptedTextField``, every e-mail and IP address field, every blind index
(``*_index``) and a short list of known names — and the test suite asserts that each of them has an
inventory entry, so a new encrypted column cannot ship without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.privacy.fields import EncryptedTextField


class Category(models.TextChoices):
    """Personal-data categories. ``SENSITIVE`` ones are 敏感个人信息 (PIPL art. 28; GB/T 35273
    appendix B lists ID numbers among them)."""

    ID_NUMBER = "id_number", _("identity card number")  # 身份证号
    PHONE = "phone", _("mobile phone number")  # 手机号
    NAME = "name", _("full name")  # 姓名
    ADDRESS = "address", _("detailed address")  # 详细住址
    HEALTH = "health", _("health or disability")  # 健康、残疾
    CORRECTION = "correction", _("community correction status")  # 社区矫正
    KEY_PERSON_NOTE = "key_person_note", _("notes on a key person")  # 重点人员
    CONTACT = "contact", _("contact details")  # e-mail
    ONLINE_IDENTIFIER = "online_identifier", _("online identifier")  # account name, IP, device
    PSEUDONYMOUS_INDEX = "pseudonymous_index", _("keyed blind index")
    ACTIVITY = "activity", _("account activity")
    COMMUNICATION = "communication", _("messages to a person")
    SECRET = "secret", _("authentication secret")
    PERSONAL = "personal", _("other personal data")


SENSITIVE_CATEGORIES = frozenset(
    {Category.ID_NUMBER, Category.HEALTH, Category.CORRECTION, Category.KEY_PERSON_NOTE, Category.SECRET}
)


class LegalBasis(models.TextChoices):
    """PIPL art. 13 paragraph 1."""

    CONSENT = "consent", _("consent of the person")  # (1) 取得个人的同意
    CONTRACT = "contract", _("needed for a service the person asked for")  # (2) 订立、履行合同所必需
    HUMAN_RESOURCES = "human_resources", _("staff management")  # (2) 人力资源管理所必需
    STATUTORY_DUTY = "statutory_duty", _("statutory duty of the community and street")  # (3) 履行法定职责或法定义务
    PUBLIC_HEALTH = "public_health", _("public health emergency")  # (4) 应对突发公共卫生事件
    PUBLIC_INTEREST = "public_interest", _("reporting in the public interest")  # (5)
    PUBLISHED = "published", _("made public by the person")  # (6)
    OTHER_LAW = "other_law", _("other laws and regulations")  # (7)


@dataclass(frozen=True)
class PersonalField:
    model: str  # "app_label.modelname"
    field: str
    category: str
    legal_basis: str
    retention: str | Promise
    purpose: str | Promise

    @property
    def key(self) -> str:
        return f"{self.model}.{self.field}"

    @property
    def sensitive(self) -> bool:
        return self.category in SENSITIVE_CATEGORIES


INVENTORY: dict[str, PersonalField] = {}


def declare(*entries: PersonalField) -> None:
    for entry in entries:
        if entry.category not in Category.values:
            raise ValueError(f"{entry.key}: unknown personal-data category {entry.category!r}")
        if entry.legal_basis not in LegalBasis.values:
            raise ValueError(f"{entry.key}: unknown legal basis {entry.legal_basis!r}")
        existing = INVENTORY.get(entry.key)
        if existing is not None and existing != entry:
            raise ValueError(f"{entry.key} is declared twice with different entries")
        INVENTORY[entry.key] = entry


def entry_for(model: type[models.Model] | str, field: str) -> PersonalField | None:
    label = model if isinstance(model, str) else model._meta.label_lower
    return INVENTORY.get(f"{label}.{field}")


def entries() -> list[PersonalField]:
    return sorted(INVENTORY.values(), key=lambda entry: entry.key)


# Field names that are personal wherever they appear.
PERSONAL_FIELD_NAMES = frozenset({"display_name", "user_agent", "username", "actor_label"})


def _is_personal(model: type[models.Model], field: models.Field[Any, Any]) -> bool:
    if isinstance(field, EncryptedTextField | models.EmailField | models.GenericIPAddressField):
        return True
    if field.name in PERSONAL_FIELD_NAMES:
        return True
    return isinstance(field, models.CharField) and field.name.endswith("_index")


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every ``EncryptedTextField`` of every concrete model, each column once."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found


def personal_fields_found() -> list[str]:
    """``app_label.model.field`` of every field that is personal by its nature (see module doc)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if _is_personal(model, field):
                found.append(f"{model._meta.label_lower}.{field.name}")
    return sorted(found)


def undeclared_fields() -> list[str]:
    return [key for key in personal_fields_found() if key not in INVENTORY]


# --- the foundation's personal fields ----------------------------------------------------------

UNTIL_ACCOUNT_CLOSED = _("while the account exists; erased when it is closed")
AUDIT_RETENTION = _("at least 184 days (LINLI_AUDIT_RETENTION_DAYS); never deleted by the application")
ACCESS_LOG_RETENTION = _("at least 184 days, as access logs")
SESSION_RETENTION = _("184 days after the session ends, then deleted by a job")
SHORT_LIVED = _("until it expires (minutes), then deleted by a job")

declare(
    # accounts.User: residents and staff.
    PersonalField("accounts.user", "username", Category.ONLINE_IDENTIFIER, LegalBasis.CONTRACT,
                  UNTIL_ACCOUNT_CLOSED, _("sign-in name (random for residents)")),
    PersonalField("accounts.user", "display_name", Category.NAME, LegalBasis.CONTRACT,
                  UNTIL_ACCOUNT_CLOSED, _("how the account is addressed")),
    PersonalField("accounts.user", "phone", Category.PHONE, LegalBasis.CONTRACT,
                  UNTIL_ACCOUNT_CLOSED, _("sign-in by one-time code and text messages")),
    PersonalField("accounts.user", "phone_index", Category.PSEUDONYMOUS_INDEX, LegalBasis.CONTRACT,
                  UNTIL_ACCOUNT_CLOSED, _("finding the account by phone without storing it in clear")),
    PersonalField("accounts.user", "id_number", Category.ID_NUMBER, LegalBasis.STATUTORY_DUTY,
                  UNTIL_ACCOUNT_CLOSED, _("matching the account to the resident registry")),
    PersonalField("accounts.user", "id_number_index", Category.PSEUDONYMOUS_INDEX, LegalBasis.STATUTORY_DUTY,
                  UNTIL_ACCOUNT_CLOSED, _("de-duplication by ID number without storing it in clear")),
    PersonalField("accounts.user", "email", Category.CONTACT, LegalBasis.CONSENT,
                  UNTIL_ACCOUNT_CLOSED, _("e-mail notifications the person chose")),
    # Sign-in machinery.
    PersonalField("accounts.logincode", "phone_index", Category.PSEUDONYMOUS_INDEX, LegalBasis.CONTRACT,
                  SHORT_LIVED, _("checking a one-time sign-in code")),
    PersonalField("accounts.usersession", "source_ip", Category.ONLINE_IDENTIFIER, LegalBasis.STATUTORY_DUTY,
                  SESSION_RETENTION, _("showing active sessions; security monitoring")),
    PersonalField("accounts.usersession", "user_agent", Category.ONLINE_IDENTIFIER, LegalBasis.STATUTORY_DUTY,
                  SESSION_RETENTION, _("showing active sessions; security monitoring")),
    PersonalField("accounts.stafftotpdevice", "encrypted_key", Category.SECRET, LegalBasis.HUMAN_RESOURCES,
                  _("until the device is replaced or the staff account is closed"),
                  _("second sign-in factor of staff")),
    # Audit log (Cybersecurity Law art. 21: network logs kept at least six months).
    PersonalField("audit.auditevent", "actor_label", Category.ONLINE_IDENTIFIER, LegalBasis.STATUTORY_DUTY,
                  AUDIT_RETENTION, _("who did what, for accountability")),
    PersonalField("audit.auditevent", "source_ip", Category.ONLINE_IDENTIFIER, LegalBasis.STATUTORY_DUTY,
                  AUDIT_RETENTION, _("where an action came from, for accountability")),
    # Messages to a person.
    PersonalField("notify.notification", "body", Category.COMMUNICATION, LegalBasis.CONTRACT,
                  UNTIL_ACCOUNT_CLOSED, _("the person's inbox")),
    # django-axes sign-in failure records (lockout, SECURITY.md A4).
    *(
        PersonalField(f"axes.{model}", field, Category.ONLINE_IDENTIFIER, LegalBasis.STATUTORY_DUTY,
                      ACCESS_LOG_RETENTION, _("locking out repeated sign-in failures"))
        for model in ("accessattempt", "accessfailurelog", "accesslog")
        for field in ("username", "ip_address", "user_agent")
    ),
)  # fmt: skip
