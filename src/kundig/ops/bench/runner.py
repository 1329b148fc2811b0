"""Time requests inside the process, through the whole Django stack.

Each request goes through Django's test client: every middleware, the
session, the view, the template, against the real database, without a
network or a WSGI server in between. The time taken is the server's own,
from the ``Server-Timing`` header that ``core.middleware.ServerTimingMiddleware``
(the outermost middleware) sets: from the request entering Django to the
response leaving it. The queries are counted by a database execute wrapper,
which costs next to nothing, rather than by Django's debug cursor, which
would record every statement.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.test import Client

from kundig.core.services import token_create, token_revoke

from .scenarios import Persona, Request, Scenario

_DURATION = re.compile(r"\bdur=([0-9.]+)")
TOKEN_NAME = "kundig bench"  # noqa: S105 - the token's label, not a secret


@dataclass
class Result:
    scenario: Scenario
    persona: Persona
    times_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def slowest(self, count: int = 5) -> list[tuple[float, str]]:
        pairs = sorted(zip(self.times_ms, self.requests, strict=True), reverse=True)
        return pairs[:count]

    @property
    def count(self) -> int:
        return len(self.times_ms)

    def percentile(self, share: float) -> float:
        return percentile(self.times_ms, share)

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    @property
    def max(self) -> float:
        return max(self.times_ms, default=math.nan)

    @property
    def mean_queries(self) -> float:
        return sum(self.queries) / len(self.queries) if self.queries else math.nan

    @property
    def met(self) -> bool | None:
        """Whether p95 is under the scenario's target; None without a target."""
        if self.scenario.target_ms is None or not self.times_ms:
            return None
        return self.p95 < self.scenario.target_ms


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile: the least value ``share`` of all reach."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class QueryCounter:
    """An execute wrapper that counts the statements a request sends."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


class Session:
    """A persona signed in to the web UI and holding an API token."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.client = Client(HTTP_HOST=_host())
        self.client.force_login(persona.user)
        # An API client sends its token and no session cookie.
        self.api_client = Client(HTTP_HOST=_host())
        self.token, plain = token_create(user=persona.user, name=TOKEN_NAME)
        self.api_headers = {"Authorization": f"Bearer {plain}"}

    def close(self) -> None:
        self.client.logout()
        token_revoke(token=self.token)

    def get(self, request: Request) -> tuple[float, int, int]:
        """Make ``request``; return the server time in ms, queries and status code."""
        client = self.api_client if request.api else self.client
        headers = {**request.headers, **(self.api_headers if request.api else {})}
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = client.get(
                request.path, request.params, headers=headers, secure=True
            )
        elapsed = (time.perf_counter() - started) * 1000
        match = _DURATION.search(response.get("Server-Timing", ""))
        return (
            float(match.group(1)) if match else elapsed,
            counter.count,
            response.status_code,
        )


def run(
    personas: list[Persona],
    scenarios: list[Scenario],
    *,
    requests: int,
    warmup: int,
    rng: random.Random,
    progress: Callable[[str], None] | None = None,
) -> list[Result]:
    """Time ``requests`` requests per scenario and persona after ``warmup`` untimed."""
    results = []
    sessions = [Session(persona) for persona in personas]
    try:
        for session in sessions:
            for scenario in scenarios:
                result = Result(scenario, session.persona)
                for i in range(warmup + requests):
                    request = scenario.build(rng, session.persona)
                    try:
                        ms, queries, status = session.get(request)
                    except Exception as exc:
                        result.errors.append(f"{_describe(request)}: {exc!r}")
                        continue
                    if status != 200:
                        result.errors.append(f"{_describe(request)}: HTTP {status}")
                    elif i >= warmup:
                        result.times_ms.append(ms)
                        result.queries.append(queries)
                        result.requests.append(_describe(request))
                results.append(result)
                if progress:
                    progress(
                        f"  {scenario.label}, {session.persona.label}: "
                        f"p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms"
                    )
    finally:
        for session in sessions:
            session.close()
    return results


def _describe(request: Request) -> str:
    query = "&".join(f"{key}={value}" for key, value in request.params.items())
    return request.path + (f"?{query}" if query else "")
