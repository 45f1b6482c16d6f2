"""The module registry: every feature module describes itself in ``<app>/manifest.py``.

The shell (navigation, workbench, home) iterates the registry and never names a module
(house rule 6, after Decidim's ``register_component``). A manifest declares:

* navigation entries, each guarded by a named permission rule;
* workbench task providers: callables returning the actor's open tasks;
* resident home cards: panels of the resident home page (a template and its context);
* stats providers for dashboards, exports and a demo-data loader (later modules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.http import HttpRequest

Audience = Literal["resident", "staff", "any"]


@dataclass(frozen=True)
class NavigationEntry:
    url_name: str
    label: Any  # lazy translated string
    audience: Audience
    rule: str | None = None  # a rules permission name checked with has_perm(user)
    icon: str = "dot"
    order: int = 100
    elderly: bool = True  # shown in the simplified elderly-mode navigation


@dataclass(frozen=True)
class WorkbenchTask:
    title: str
    url: str
    kind: str
    due: Any = None  # datetime | None
    urgent: bool = False
    detail: str = ""
    # What a newcomer needs on the card (issue 5, newcomer finding 7): where (estate, building …),
    # why it is due, what to do next, and the label of the link that does it.
    where: str = ""
    reason: str = ""
    next_step: str = ""
    action: str = ""


TaskProvider = Callable[["HttpRequest"], Iterable[WorkbenchTask]]


@dataclass(frozen=True)
class HomeCard:
    """A panel of the resident home page: ``template`` is rendered with what ``context`` returns
    for the request; a card returns ``None`` to stay hidden (nothing to show to this resident)."""

    name: str
    template: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    rule: str | None = None  # a rules permission name checked with has_perm(user)
    order: int = 100


DemoLoader = Callable[..., None]


@dataclass
class ModuleManifest:
    name: str
    label: Any
    navigation: list[NavigationEntry] = field(default_factory=list)
    workbench_tasks: list[TaskProvider] = field(default_factory=list)
    home_cards: list[HomeCard] = field(default_factory=list)
    stats: list[Callable[..., dict[str, Any]]] = field(default_factory=list)
    exports: list[Callable[..., Any]] = field(default_factory=list)
    demo_loader: DemoLoader | None = None
    demo_order: int = 100


_modules: dict[str, ModuleManifest] = {}


def register(manifest: ModuleManifest) -> ModuleManifest:
    if manifest.name in _modules and _modules[manifest.name] is not manifest:
        raise ValueError(f"module {manifest.name!r} registered twice")
    _modules[manifest.name] = manifest
    return manifest


def modules() -> list[ModuleManifest]:
    return list(_modules.values())


def navigation(audience: Audience) -> list[NavigationEntry]:
    entries = [
        entry for module in _modules.values() for entry in module.navigation if entry.audience in (audience, "any")
    ]
    return sorted(entries, key=lambda entry: entry.order)


def home_cards() -> list[HomeCard]:
    return sorted((card for module in _modules.values() for card in module.home_cards), key=lambda card: card.order)
