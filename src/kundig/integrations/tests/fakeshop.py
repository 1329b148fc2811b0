"""A shop's REST API on 127.0.0.1 that answers from recorded pages.

A recording (``payloads/sync_*.json``) holds the shop's credentials, its
answer to wrong ones, and request/answer pairs as the platform's documented
API gives them. :class:`FakeShop` serves them over real HTTP in a thread,
checks the credentials the way the platform does, notes every request, and
can be told to fail a path a few times first.
"""

from __future__ import annotations

import base64
import copy
import datetime
import ipaddress
import json
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAYLOADS = Path(__file__).parent / "payloads"


def recording(platform: str) -> dict:
    return json.loads((PAYLOADS / f"sync_{platform}_orders.json").read_text())


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    json: object = None


@dataclass
class Failure:
    path: str
    status: int
    times: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""


class FakeShop:
    """Serve ``platform``'s recording; ``url`` is the shop's base address."""

    def __init__(
        self,
        platform: str,
        recorded: dict | None = None,
        *,
        tls: tuple[str, str] | None = None,
        drops_authorization: bool = False,
    ):
        self.platform = platform
        # Some CGI set-ups never pass the Authorization header to WooCommerce.
        self.drops_authorization = drops_authorization
        self.recorded = copy.deepcopy(recorded or recording(platform))
        self.requests: list[Seen] = []
        self.failures: list[Failure] = []
        # Called with each request before it is answered (in the server's thread).
        self.on_request = None
        self._lock = threading.Lock()
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                shop._answer(self)

            def do_POST(self):
                shop._answer(self)

            def log_message(self, format, *args):
                pass  # quiet tests

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(
                self.server.socket, server_side=True
            )
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    @property
    def credentials(self) -> dict:
        return self.recorded["credentials"]

    def start(self) -> FakeShop:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def fail(self, path: str, status: int, *, times: int = 1, headers=None, body=b""):
        """Answer the next ``times`` requests for ``path`` with ``status``."""
        self.failures.append(Failure(path, status, times, headers or {}, body))

    def pages(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    # --- Serving --------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        seen = Seen(
            handler.command, parts.path, query, dict(handler.headers.items()), body
        )
        with self._lock:
            self.requests.append(seen)
            failure = next(
                (f for f in self.failures if f.path == parts.path and f.times), None
            )
            if failure is not None:
                failure.times -= 1
        if self.on_request is not None:
            self.on_request(seen)
        if failure is not None:
            self._send(handler, failure.status, failure.headers, failure.body)
            return
        if not self._authorised(seen):
            wrong = self.recorded["unauthorized"]
            self._send(handler, wrong["status"], {}, json.dumps(wrong["body"]).encode())
            return
        for interaction in self.recorded["interactions"]:
            if self._matches(interaction["request"], seen):
                answer = interaction["response"]
                headers = {
                    name: value.replace("{base}", self.url)
                    for name, value in answer.get("headers", {}).items()
                }
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
                payload = json.dumps(answer["body"], ensure_ascii=False).encode()
                self._send(handler, answer["status"], headers, payload)
                return
        self._send(
            handler,
            404,
            {},
            json.dumps({"errors": "Not Found (not recorded)"}).encode(),
        )

    @staticmethod
    def _matches(request: dict, seen: Seen) -> bool:
        if request["method"] != seen.method or request["path"] != seen.path:
            return False
        if "query" in request and request["query"] != FakeShop._without_keys(
            seen.query
        ):
            return False
        wanted = request.get("json", {})
        return all(
            isinstance(seen.json, dict) and seen.json.get(key) == value
            for key, value in wanted.items()
        )

    def _authorised(self, seen: Seen) -> bool:
        key = self.credentials["api_key"]
        secret = self.credentials["api_secret"]
        headers = {name.lower(): value for name, value in seen.headers.items()}
        if self.drops_authorization:
            headers.pop("authorization", None)
        if self.platform == "shopware":
            if seen.path == "/api/oauth/token":
                return (
                    isinstance(seen.json, dict)
                    and seen.json.get("grant_type") == "client_credentials"
                    and seen.json.get("client_id") == key
                    and seen.json.get("client_secret") == secret
                )
            token = self.recorded["interactions"][0]["response"]["body"]
            return headers.get("authorization") == f"Bearer {token['access_token']}"
        if self.platform == "shopify":
            return headers.get("x-shopify-access-token") == secret
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        if headers.get("authorization") == f"Basic {basic}":
            return True
        # WooCommerce's alternative, over https only.
        return (
            self.scheme == "https"
            and seen.query.get("consumer_key") == key
            and seen.query.get("consumer_secret") == secret
        )

    @staticmethod
    def _without_keys(query: dict) -> dict:
        return {
            name: value
            for name, value in query.items()
            if name not in ("consumer_key", "consumer_secret")
        }

    @staticmethod
    def _send(handler, status: int, headers: dict, body: bytes) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """Write a certificate for 127.0.0.1 and its key; return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "shop.pem"
    key_path = directory / "shop.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)
