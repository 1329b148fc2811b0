"""Run the real ``kundig`` command in other processes, on a throwaway SQLite file.

The test database of the pytest process is invisible to other processes (an
in-memory SQLite database, or a PostgreSQL transaction), so process tests get
a database of their own: a copy of one migrated once per test process.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

_DB_NAME = "kundig.sqlite3"


def kundig_argv() -> list[str]:
    """Return the installed ``kundig`` console script (beside this Python)."""
    script = Path(sys.executable).with_name("kundig")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kundig"]


def kundig_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Return an environment running ``kundig`` on its own data dir and database."""
    env = {
        k: v
        for k, v in os.environ.items()
        # The pytest process's settings module and test database are not theirs.
        if k not in {"DJANGO_SETTINGS_MODULE", "KUNDIG_TEST_DATABASE_URL"}
    }
    env.update(
        KUNDIG_DATA_DIR=str(data_dir),
        KUNDIG_DATABASE_URL=f"sqlite:///{data_dir / _DB_NAME}",
        KUNDIG_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run_kundig(
    *args: str, data_dir: Path, timeout: float = 120, **extra_env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*kundig_argv(), *args],
        env=kundig_env(data_dir, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@functools.cache
def _migrated_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="kundig-migrated-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    result = run_kundig("migrate", "--verbosity", "0", data_dir=directory)
    if result.returncode:
        raise RuntimeError(f"kundig migrate failed:\n{result.stdout}{result.stderr}")
    return directory / _DB_NAME


def migrated_data_dir(tmp_path: Path) -> Path:
    """Return a data dir under ``tmp_path`` holding a freshly migrated database."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copyfile(_migrated_template(), data_dir / _DB_NAME)
    return data_dir


def query(data_dir: Path, sql: str, *params) -> list[tuple]:
    """Read the process tests' database directly."""
    with closing(sqlite3.connect(data_dir / _DB_NAME, timeout=30)) as conn:
        return conn.execute(sql, params).fetchall()
