"""Template filters for the masked display of personal data (SECURITY.md D4)::

{% load privacy %}
{{ user.phone|mask_phone }}      → 138****5678
{{ user.id_number|mask_id }}     → 1101**********1234
{{ person.name|mask_name }}      → 张*
"""

from __future__ import annotations

from django import template

from linli.privacy import masking

register = template.Library()


def _text(value: object) -> str:
    return "" if value is None else str(value)


@register.filter
def mask_phone(value: object) -> str:
    return masking.mask_phone(_text(value))


@register.filter
def mask_id(value: object) -> str:
    return masking.mask_id_number(_text(value))


@register.filter
def mask_name(value: object) -> str:
    return masking.mask_name(_text(value))


@register.filter
def mask_address(value: object) -> str:
    return masking.mask_address(_text(value))


@register.filter
def mask_email(value: object) -> str:
    return masking.mask_email(_text(value))
