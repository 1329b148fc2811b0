"""Tasks for the worker tests, importable by a worker in another process."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def sleep(seconds: float, marker: str = "") -> str:
    """Sleep; first touch ``marker`` (a file path) so a test knows it started."""
    if marker:
        Path(marker).touch()
    time.sleep(seconds)
    return "slept"


@task()
def sleep_once(marker: str) -> str:
    """Hang on the first attempt (after touching ``marker``); return on the next."""
    path = Path(marker)
    if not path.exists():
        path.touch()
        time.sleep(120)
        return "first attempt"
    return "second attempt"
