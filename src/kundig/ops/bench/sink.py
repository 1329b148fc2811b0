"""The benchmark's SMTP server: a process of its own that accepts every mail.

``python -m kundig.ops.bench.sink PORT`` listens on 127.0.0.1:PORT, answers
every mail with 250, keeps nothing, and prints how many it accepted when it
is stopped (SIGTERM or SIGINT). In its own process it has its own
interpreter, so the time it takes is the server's, as with a real one, not
taken from the sender's.

:func:`sink_start` runs it for the benchmark; :func:`sink_stop` returns the
count.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time


class _Counting:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def _serve(port: int) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = _Counting()
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


def sink_start(port: int, *, timeout: float = 15) -> subprocess.Popen:
    """Start the sink on ``port`` and return once it accepts connections."""
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "kundig.ops.bench.sink", str(port)],
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
    _serve(int(sys.argv[1]))
