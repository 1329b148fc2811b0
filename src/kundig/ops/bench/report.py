"""The benchmark's table, on the terminal and as Markdown."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .runner import Result

HEADERS = (
    "Endpoint",
    "Persona",
    "Requests",
    "p50 ms",
    "p95 ms",
    "max ms",
    "Queries",
    "Target",
)
_RIGHT = {2, 3, 4, 5, 6}


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def target_text(result: Result) -> str:
    met = result.met
    if met is None:
        return ""
    verdict = "met" if met else "MISSED"
    return f"p95 < {result.scenario.target_ms:.0f} ms: {verdict}"


def rows(results: Iterable[Result]) -> list[tuple[str, ...]]:
    return [
        (
            result.scenario.label,
            result.persona.label,
            f"{result.count}",
            _ms(result.p50),
            _ms(result.p95),
            _ms(result.max),
            _ms(result.mean_queries),
            target_text(result),
        )
        for result in results
    ]


def text_table(results: list[Result]) -> str:
    """Return the results as a plain-text table with aligned columns."""
    table = [HEADERS, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(table):
        cells = [
            cell.rjust(widths[i]) if i in _RIGHT else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|"
        + "|".join("---:" if i in _RIGHT else "---" for i in range(len(HEADERS)))
        + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines)


def errors(results: list[Result]) -> list[str]:
    return [
        f"{result.scenario.label}, {result.persona.label}: {error}"
        for result in results
        for error in result.errors
    ]


def markdown(
    *, info: list[tuple[str, str]], results: list[Result], notes: list[str]
) -> str:
    """Return the whole report as a Markdown document."""
    parts = ["# kundig bench", ""]
    parts += [f"- **{label}:** {value}" for label, value in info]
    parts += ["", markdown_table(results), ""]
    parts += notes
    problems = errors(results)
    if problems:
        parts += ["", "## Errors", ""]
        parts += [f"- {problem}" for problem in problems]
    return "\n".join(parts).rstrip() + "\n"
