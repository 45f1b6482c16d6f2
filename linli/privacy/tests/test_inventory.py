"""The data inventory (SECURITY.md F1): every personal field declares category, legal basis and
retention; no encrypted column ships without an entry."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command

from linli.privacy import inventory
from linli.privacy.fields import EncryptedTextField
from linli.privacy.inventory import Category, LegalBasis, PersonalField


def test_every_encrypted_field_has_an_inventory_entry_with_its_category():
    fields = inventory.encrypted_fields()
    assert {f"{model._meta.label_lower}.{field.name}" for model, field in fields} >= {
        "accounts.user.phone",
        "accounts.user.id_number",
        "accounts.stafftotpdevice.encrypted_key",
    }
    for model, field in fields:
        entry = inventory.entry_for(model, field.name)
        assert entry is not None, f"{model._meta.label_lower}.{field.name} has no inventory entry"
        assert entry.category == field.category


def test_every_encrypted_field_of_every_model_is_found():
    found = {(model, field.name) for model, field in inventory.encrypted_fields()}
    for model in apps.get_models():
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField) and not model._meta.proxy:
                assert (model, field.name) in found


def test_every_personal_field_found_in_the_project_is_declared():
    assert inventory.undeclared_fields() == []
    found = inventory.personal_fields_found()
    assert "accounts.user.email" in found
    assert "accounts.usersession.source_ip" in found
    assert "accounts.user.phone_index" in found


def test_every_entry_names_a_real_field_with_a_valid_basis_and_retention():
    for entry in inventory.entries():
        model = apps.get_model(entry.model)
        try:
            model._meta.get_field(entry.field)
        except FieldDoesNotExist:
            pytest.fail(f"{entry.key} names a field that does not exist")
        assert entry.category in Category.values
        assert entry.legal_basis in LegalBasis.values
        assert str(entry.retention).strip()
        assert str(entry.purpose).strip()


def test_id_numbers_and_secrets_are_sensitive():
    assert inventory.entry_for("accounts.user", "id_number").sensitive
    assert inventory.entry_for("accounts.stafftotpdevice", "encrypted_key").sensitive
    assert not inventory.entry_for("accounts.user", "email").sensitive


def test_audit_fields_are_kept_at_least_the_audit_retention():
    assert "184" in str(inventory.entry_for("audit.auditevent", "actor_label").retention)


def test_declare_refuses_unknown_vocabulary_and_conflicting_entries():
    with pytest.raises(ValueError, match="unknown personal-data category"):
        inventory.declare(
            PersonalField("accounts.user", "display_name", "favourite_colour", LegalBasis.CONSENT, "x", "y")
        )
    with pytest.raises(ValueError, match="unknown legal basis"):
        inventory.declare(PersonalField("accounts.user", "display_name", Category.NAME, "because", "x", "y"))
    with pytest.raises(ValueError, match="declared twice"):
        inventory.declare(PersonalField("accounts.user", "display_name", Category.NAME, LegalBasis.CONSENT, "x", "y"))
    existing = inventory.entry_for("accounts.user", "display_name")
    inventory.declare(existing)  # the same entry again is harmless
    assert inventory.entry_for("accounts.user", "display_name") == existing


def test_the_inventory_command_lists_every_entry():
    out = io.StringIO()
    call_command("privacy", "inventory", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(inventory.entries())
    assert (
        "accounts.user.id_number: id_number [sensitive]; basis statutory_duty; "
        "kept while the account exists; erased when it is closed; for matching the account to the resident registry"
    ) in lines
