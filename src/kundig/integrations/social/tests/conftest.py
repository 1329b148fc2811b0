"""A local web server the social tests read feeds and Mastodon's API from."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from kundig.integrations.social import services
from kundig.integrations.social.choices import SourceKind


class FakeServer:
    """Serves ``routes`` (path -> (status, content type, body)); logs requests."""

    def __init__(self):
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                server.requests.append(
                    {
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "headers": dict(self.headers),
                    }
                )
                status, kind, body = server.routes.get(
                    parts.path, (404, "text/plain", b"not found")
                )
                if callable(body):
                    status, kind, body = body(self)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes, kind: str = "application/xml", status=200):
        self.routes[path] = (status, kind, body)


@pytest.fixture
def web(settings):
    """A real HTTP server on 127.0.0.1 (private addresses allowed for it)."""
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True
    server = FakeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def intake(admin):
    """An intake source and its key."""
    return services.source_save(
        actor=admin, kind=SourceKind.INTAKE, name="Instagram via Zapier",
        slug="instagram", url="", is_active=True,
    )  # fmt: skip
