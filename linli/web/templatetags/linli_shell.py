"""``{% shellcache "name" value … %}…{% endshellcache %}``: the invariant parts of the page shell
(head, header, navigation, footer) rendered once per process and key, then reused.

Like Django's ``{% cache %}`` with ``vary_on``, but in the process (a dictionary, no cache backend
round trip) and always keyed by the active language and the script prefix as well. The key is the
fragment's name and the values named in the tag — so a fragment may only show what those values
determine: never a user's name, a count, a CSRF token or the current path (docs/modules.md, "Lean
pages"; decision 0011). Values must be hashable (``None``, booleans, strings, tuples).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

CACHE_SIZE = 2048
_FRAGMENTS: dict[tuple[Any, ...], SafeString] = {}


def clear() -> None:
    """Forget every rendered fragment (tests that change settings or templates call this)."""
    _FRAGMENTS.clear()


class ShellCacheNode(Node):
    def __init__(self, nodelist: NodeList, name: str, vary_on: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context: Any) -> str:
        values = []
        for expression in self.vary_on:
            value = expression.resolve(context)
            values.append(tuple(value) if isinstance(value, list) else value)
        key = (self.name, get_language(), get_script_prefix(), *values)
        html = _FRAGMENTS.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))  # noqa: S308 - the output of a template render
            if len(_FRAGMENTS) >= CACHE_SIZE:
                _FRAGMENTS.clear()
            _FRAGMENTS[key] = html
        return html


@register.tag("shellcache")
def do_shellcache(parser: Parser, token: Token) -> ShellCacheNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("{% shellcache %} needs a quoted fragment name first")
    nodelist = parser.parse(("endshellcache",))
    parser.delete_first_token()
    return ShellCacheNode(nodelist, bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]])
