"""Extra cards on the 360° pages, contributed by the apps above this one.

The 360° page lives here, but orders, tickets and deals live in apps that
depend on this one, not the other way round. Such an app registers a panel:
a function ``(request, record) -> str | None`` that returns rendered HTML
(or ``None`` when it has nothing to show). The page renders them in order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[..., str | None]
_panels: dict[str, list[tuple[int, str, Panel]]] = {"contact": [], "company": []}


def register(subject: str, *, position: int = 100) -> Callable[[Panel], Panel]:
    """Register a panel of ``contact`` or ``company`` pages."""

    def decorate(func: Panel) -> Panel:
        key = f"{func.__module__}.{func.__qualname__}"
        entries = [entry for entry in _panels[subject] if entry[1] != key]
        entries.append((position, key, func))
        _panels[subject] = sorted(entries, key=lambda entry: (entry[0], entry[1]))
        return func

    return decorate


def render_panels(subject: str, request, record) -> list[SafeString]:
    rendered = []
    for _position, _key, func in _panels[subject]:
        html = func(request, record)
        if html:
            rendered.append(mark_safe(html))
    return rendered
