"""A real HTTP receiver on 127.0.0.1, and subscriptions pointing at it."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kundig.core.events import emit
from kundig.integrations.outgoing import services
from kundig.integrations.outgoing.models import Delivery


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class Receiver:
    """What the local server received, and what it is to answer next."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.connections = 0
        self.statuses: deque[int] = deque()
        self.arrived = threading.Event()
        self.hold: threading.Event | None = None  # answer only once it is set
        self.host = "127.0.0.1"
        self.port = 0
        self.scheme = "http"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with ``statuses``, then with 200."""
        self.statuses.extend(statuses)

    def url(self, path: str = "/hook") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver.requests.append(
            Request(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
        )
        receiver.arrived.set()
        if receiver.hold is not None:
            receiver.hold.wait(10)
        status = receiver.statuses.popleft() if receiver.statuses else 200
        answer = b"ok" if status < 300 else b"not today"
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", receiver.url("/elsewhere"))
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST  # a followed redirect would show up as a GET

    def log_message(self, format, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def verify_request(self, request, client_address) -> bool:
        self.receiver.connections += 1
        return True

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up early is the client's business


def start_server(receiver: Receiver, *, host: str = "127.0.0.1", wrap=None):
    server_class = _Server
    if ":" in host:
        import socket

        class _Server6(_Server):
            address_family = socket.AF_INET6

        server_class = _Server6
    server = server_class((host, 0), _Handler)
    if wrap is not None:
        server.socket = wrap(server.socket)
    server.receiver = receiver
    receiver.port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server


def stop_server(server, receiver: Receiver) -> None:
    if receiver.hold is not None:
        receiver.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(settings):
    """A webhook receiver on 127.0.0.1; private addresses are allowed for it."""
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver()
    server = start_server(receiver)
    try:
        yield receiver
    finally:
        stop_server(server, receiver)


@pytest.fixture
def make_subscription(admin):
    def make(url: str, **fields):
        return services.subscription_create(
            actor=admin, name=fields.pop("name", "Lager"), url=url, **fields
        )

    return make


@pytest.fixture
def make_event(admin, make_contact):
    """Record a domain event about a contact, as the contacts app would."""
    contact = make_contact(admin)

    def make(name: str = "contact.stage_changed", **payload):
        payload = payload or {"from_stage": "lead", "to_stage": "customer"}
        return emit(name, contact, actor=admin, **payload)

    return make


def deliver(subscription, event) -> Delivery:
    """Create the deliveries of ``event`` and return the one of ``subscription``."""
    services.deliveries_create(event=event)
    return Delivery.objects.get(subscription=subscription, event=event)


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Verify as a receiver would: HMAC-SHA256 over "<timestamp>.<body>"."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
