"""The benchmark's SMTP server: a process of its own that accepts every mail.

``python -m kundig.ops.bench.sink PORT [LATENCY_MS]`` listens on
127.0.0.1:PORT, answers every mail with 250 (after LATENCY_MS, as a real
server that writes the mail to disk or relays it takes its time), keeps
nothing, and prints how many it accepted when it is stopped (SIGTERM or
SIGINT). In its own process it has its own
interpreter, so the time it takes is the server's, as with a real one, not
taken from the sender's.

:func:`sink_start` runs it for the benchmark; :func:`sink_stop` returns the
count.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time


class _Counting:
    def __init__(self, latency: float = 0) -> None:
        self.received = 0
        self.latency = latency

    async def handle_DATA(self, server, session, envelope):
        if self.latency:
            await asyncio.sleep(self.latency)
        self.received += 1
        return "250 OK"


def _serve(port: int, latency_ms: float = 0) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = _Counting(latency_ms / 1000)
    stop = threading.Event()
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), lambda *_args: stop.set())
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()
    print(handler.received, flush=True)


def sink_start(
    port: int, *, latency_ms: float = 0, timeout: float = 15
) -> subprocess.Popen:
    """Start the sink on ``port`` and return once it accepts connections."""
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "kundig.ops.bench.sink", str(port), str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The SMTP sink stopped at once (exit {process.returncode})."
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"The SMTP sink did not listen on port {port} in time.")


def sink_stop(process: subprocess.Popen) -> int:
    """Stop the sink; return how many mails it accepted."""
    process.terminate()
    try:
        out, _err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return -1
    try:
        return int(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return -1


if __name__ == "__main__":
    _serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0)
