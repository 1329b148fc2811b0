"""One benchmark run on the database Django is connected to."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from . import database, report, runner
from .scenarios import SCENARIOS, find_personas, prepare_persona


@dataclass
class Outcome:
    text: str
    markdown: str
    results: list[runner.Result]

    @property
    def errors(self) -> list[str]:
        return report.errors(self.results)


def scenarios_named(keys: list[str] | None):
    if not keys:
        return list(SCENARIOS)
    known = {scenario.key: scenario for scenario in SCENARIOS}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ValueError(
            f"Unknown endpoint {', '.join(unknown)}; choose from {', '.join(known)}."
        )
    return [known[key] for key in keys]


def benchmark(
    *,
    requests: int,
    warmup: int,
    seed: int = 1,
    only: list[str] | None = None,
    extra_info: list[tuple[str, str]] | None = None,
    write: Callable[[str], None] = print,
) -> Outcome:
    """Time every scenario for both personas; return the table as text and Markdown."""
    scenarios = scenarios_named(only)
    rng = random.Random(seed)
    have = database.sizes()
    personas = find_personas()
    for persona in personas:
        prepare_persona(
            persona, samples=2 * (requests + warmup), total=have.contacts, rng=rng
        )
        if not persona.samples:
            raise LookupError(f"{persona.label} sees no contacts to ask for.")
    info = database.machine_info(have) + list(extra_info or [])
    info.append(
        (
            "Personas",
            "; ".join(
                f"{p.label}: {p.user.email}, sees {p.share:.0%} of the contacts"
                for p in personas
            ),
        )
    )
    write(
        f"Timing {requests} requests per endpoint and persona "
        f"after {warmup} warm-up requests …"
    )
    results = runner.run(
        personas, scenarios, requests=requests, warmup=warmup, rng=rng, progress=write
    )
    info.append(("Load average after the run", database.load_average()))
    notes = [
        f"Server time: from the request entering Django to the response leaving it "
        f"(the `Server-Timing` header), measured in-process with Django's test "
        f"client against the real database, so without network or WSGI server. "
        f"{requests} requests per row after {warmup} warm-up requests; random "
        f"contacts, search strings, filters and cursors drawn from the data "
        f"(random seed {seed}). p95 by nearest rank; queries are the mean per "
        f"request.",
        "",
        "Targets: p95 of the 360° page and of search-as-you-type under 50 ms "
        "at 1M contacts and 10M timeline entries on PostgreSQL, 2 cores.",
    ]
    lines = [f"{label}: {value}" for label, value in info]
    text = "\n".join([*lines, "", report.text_table(results)])
    return Outcome(
        text=text,
        markdown=report.markdown(info=info, results=results, notes=notes),
        results=results,
    )
