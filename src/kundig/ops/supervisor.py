"""A small process supervisor for ``kundig demo``: start, watch, stop together.

The children run in their own sessions, so a Ctrl+C in the terminal reaches
only the supervisor, which passes one SIGTERM to each child: the worker then
finishes its task instead of seeing two signals and aborting it. If the
supervisor itself is killed, Linux sends each child SIGTERM
(``PR_SET_PDEATHSIG``), so no web server is left holding the port. See
docs/adr/0002-processes-web-and-demo.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

_PR_SET_PDEATHSIG = 1


def _die_with_parent_hook() -> Callable[[], None] | None:
    """Return a pre-exec hook that makes a child get SIGTERM when we die (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()


class Supervisor:
    """Run children together; stop all when one ends or a signal arrives."""

    def __init__(
        self,
        children: list[Child],
        *,
        env: dict[str, str] | None = None,
        out: BinaryIO | None = None,
        stop_timeout: float = 15.0,
    ) -> None:
        self.children = children
        self.env = env
        self.out = out or sys.stdout.buffer
        self.stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._signal: int | None = None
        self._width = max(len(c.name) for c in children)
        self._pumps: list[threading.Thread] = []

    # --- output ---

    def say(self, text: str) -> None:
        """Write supervisor lines, never in the middle of a child's line."""
        with self._lock:
            self.out.write(text.encode() + b"\n")
            self.out.flush()

    def _pump(self, child: Child) -> None:
        label = f"{child.name:<{self._width}} | ".encode()
        assert child.process is not None
        assert child.process.stdout is not None
        for line in iter(child.process.stdout.readline, b""):
            with self._lock:
                self.out.write(
                    label + line if line.endswith(b"\n") else label + line + b"\n"
                )
                self.out.flush()

    # --- life cycle ---

    def _on_signal(self, signum: int, frame) -> None:
        if self._signal is not None:  # second Ctrl+C: no more waiting
            self._kill_all()
        self._signal = signum

    def run(
        self, *, until_ready: Callable[[], bool], on_ready: Callable[[], None]
    ) -> int:
        """Start the children; return the exit status once all are stopped.

        ``until_ready`` is polled until it returns true, then ``on_ready`` is
        called once. Status 0 means a signal asked us to stop; otherwise it is
        the status of the child that ended first: 128 + n if signal n killed
        it, 1 if it exited with 0.
        """
        previous = {
            sig: signal.signal(sig, self._on_signal)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            self._start()
            return self._watch(until_ready, on_ready)
        finally:
            self._stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self) -> None:
        env = {**(self.env or os.environ), "PYTHONUNBUFFERED": "1"}
        hook = _die_with_parent_hook()
        # All children are forked before any output thread starts: a pre-exec
        # hook is only safe while the parent has a single thread.
        for child in self.children:
            child.process = subprocess.Popen(  # noqa: S603 - our own argv
                child.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=hook,
            )
        for child in self.children:
            pump = threading.Thread(
                target=self._pump, args=(child,), name=f"pump-{child.name}", daemon=True
            )
            pump.start()
            self._pumps.append(pump)

    def _watch(
        self, until_ready: Callable[[], bool], on_ready: Callable[[], None]
    ) -> int:
        ready = False
        while self._signal is None:
            for child in self.children:
                code = child.returncode
                if code is not None:
                    self.say(
                        f"\n{child.name} stopped ({_describe_exit(code)}); "
                        "stopping the other processes."
                    )
                    # As a shell reports it: 128 + n for death by signal n.
                    return code if code > 0 else 128 - code if code < 0 else 1
            if not ready and until_ready():
                ready = True
                on_ready()
            time.sleep(0.2)
        self.say(f"\nReceived {signal.Signals(self._signal).name}; stopping …")
        return 0

    def _stop(self) -> None:
        running = [c for c in self.children if c.returncode is None and c.process]
        for child in running:
            _send(child.process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and any(
            c.returncode is None for c in running
        ):
            time.sleep(0.1)
        for child in running:
            if child.returncode is None:
                self.say(
                    f"{child.name} did not stop in {self.stop_timeout:g} s; killing it."
                )
                _kill_group(child.process)
        for child in self.children:
            if child.process is not None:
                child.process.wait()
        for pump in self._pumps:  # let the last lines through
            pump.join(timeout=2)

    def _kill_all(self) -> None:
        for child in self.children:
            if child.process is not None and child.returncode is None:
                _kill_group(child.process)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a child and whatever it started (its session is its own group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        _send(process, signal.SIGKILL)


def _send(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
