"""POST to a subscriber without letting a URL reach into Kundig's own network.

The host is resolved once; if any of its addresses is not publicly routable
the request is refused before a socket is opened. The connection then goes to
an address from that same answer, never to a second lookup, so a DNS record
that changes between the check and the connect (DNS rebinding) cannot steer
it inside. The ``Host`` header, TLS SNI and certificate check keep using the
host name. Redirects are not followed, proxies from the environment are not
used, and the whole exchange has one deadline.

``KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True`` lifts the address check, for tests
and for installations whose receivers live on the private network.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

TIMEOUT = 10.0  # seconds, for the whole exchange
MAX_ERROR_BODY = 200  # characters of a refusing answer kept as its reason

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Beyond what ``ipaddress`` flags (its lists differ between Python releases).
_BLOCKED = [
    (ipaddress.ip_network(net), label)
    for net, label in [
        ("0.0.0.0/8", "this-network"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("169.254.0.0/16", "link-local"),
        ("192.0.0.0/24", "IETF protocol"),
        ("192.88.99.0/24", "6to4 relay"),
        ("198.18.0.0/15", "benchmarking"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"),
        ("::/96", "IPv4-compatible"),
        ("64:ff9b:1::/48", "local NAT64"),
        ("100::/64", "discard"),
        ("2001::/23", "IETF protocol"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The URL may not be called; nothing was sent."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: str


def allow_private() -> bool:
    return bool(getattr(settings, "KUNDIG_WEBHOOKS_ALLOW_PRIVATE", False))


def address_problem(ip: IPAddress) -> str | None:
    """Return why ``ip`` is not publicly routable ("loopback", …), or None."""
    if ip.version == 6:
        # An IPv4 address wrapped in IPv6 is judged as the IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    for flag in ("unspecified", "loopback", "link_local", "multicast"):
        if getattr(ip, f"is_{flag}"):
            return flag.replace("_", "-")
    for network, label in _BLOCKED:
        if ip.version == network.version and ip in network:
            return label
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def parse(url: str) -> Target:
    """Split a subscription URL; raise ValidationError if it cannot be one."""
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port
    except (ValidationError, ValueError):
        raise ValidationError(
            _(
                "Enter a full http:// or https:// address, e.g. https://example.com/hook."
            )
        ) from None
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            _(
                "Leave the user name and password out of the URL; "
                "receivers check the signature instead."
            )
        )
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("The host name is not valid.")) from None
    if not host:
        raise ValidationError(_("The URL needs a host name."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        path=path,
    )


def obvious_problem(target: Target) -> str | None:
    """Return why a URL's host is refused without asking DNS, or None.

    Catches a literal private address or ``localhost`` when the URL is saved;
    the real check is :func:`resolve`, at every connect.
    """
    if allow_private():
        return None
    host = target.host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address_problem(ip)


def resolve(target: Target) -> list[tuple]:
    """Resolve the host once; raise Refused if any address is not public."""
    try:
        infos = socket.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except socket.gaierror as exc:
        raise Refused(f"cannot resolve {target.host}: {exc.strerror}") from None
    addresses = [
        (family, sockaddr)
        for family, _type, _proto, _name, sockaddr in infos
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise Refused(f"{target.host} has no IP address")
    if not allow_private():
        for _family, sockaddr in addresses:
            ip = ipaddress.ip_address(sockaddr[0])
            problem = address_problem(ip)
            if problem is not None:
                raise Refused(
                    f"refused: {target.host} resolves to {ip} ({problem}), "
                    "not a public address"
                )
    return addresses


class _Deadline:
    """Abort the exchange when its time is up, whatever phase it is in."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0 or self.expired:
            raise TimeoutError("timed out")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                _shut(self._sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: it wakes a blocked
    # read in the other thread without touching the TLS state under it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _connect(addresses: list[tuple], deadline: _Deadline) -> socket.socket:
    error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            deadline.watch(sock)
            sock.settimeout(deadline.remaining())
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    assert error is not None
    raise error


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the vetted addresses only; the Host header keeps the name."""

    def __init__(self, target: Target, addresses: list[tuple], deadline: _Deadline):
        super().__init__(target.host, target.port, timeout=deadline.remaining())
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.deadline)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the vetted addresses; SNI and the certificate check use the name."""

    def __init__(self, target: Target, addresses: list[tuple], deadline: _Deadline):
        self.tls = ssl.create_default_context()
        super().__init__(
            target.host, target.port, timeout=deadline.remaining(), context=self.tls
        )
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        sock = _connect(self.addresses, self.deadline)
        try:
            tls_sock = self.tls.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
        except BaseException:
            sock.close()
            raise
        self.sock = tls_sock
        self.deadline.watch(tls_sock)
        tls_sock.do_handshake()


def _read_some(response: http.client.HTTPResponse) -> str:
    try:
        return response.read(MAX_ERROR_BODY * 4).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""  # the status is what counts


@dataclass(frozen=True)
class Fetched:
    status: int
    content: bytes
    content_type: str


def _exchange(method: str, url: str, *, body, headers, timeout, read):
    """One request to ``url``, its answer handed to ``read`` inside the deadline."""
    try:
        target = parse(url)
    except ValidationError as exc:
        raise Refused(f"invalid URL: {' '.join(exc.messages)}") from None
    addresses = resolve(target)
    with _Deadline(TIMEOUT if timeout is None else timeout) as deadline:
        cls = (
            PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
        )
        connection = cls(target, addresses, deadline)
        try:
            connection.request(method, target.path, body=body, headers=headers)
            return read(connection.getresponse())
        except (http.client.HTTPException, ValueError) as exc:
            if deadline.expired:
                raise TimeoutError("timed out") from None
            raise OSError(f"bad answer: {type(exc).__name__}: {exc}") from None
        except OSError:
            if deadline.expired:
                raise TimeoutError("timed out") from None
            raise
        finally:
            connection.close()


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None
) -> Answer:
    """POST ``body`` to ``url``; raise Refused or OSError, else return the answer.

    Any status is an answer, redirects included: they are not followed.
    """

    def read(response: http.client.HTTPResponse) -> Answer:
        text = ""
        if not 200 <= response.status < 300:
            text = _read_some(response)
        return Answer(
            status=response.status,
            reason=response.reason or "",
            body=" ".join(text.split())[:MAX_ERROR_BODY],
        )

    return _exchange(
        "POST", url, body=body, headers=headers, timeout=timeout, read=read
    )


def get(
    url: str,
    headers: dict[str, str],
    *,
    max_bytes: int = 2_000_000,
    timeout: float | None = None,
) -> Fetched:
    """GET ``url`` as :func:`post` sends (the same address checks, one deadline,
    no redirects); raise Refused or OSError, else return its body.

    A body longer than ``max_bytes`` is an error, not a cut-off document.
    """

    def read(response: http.client.HTTPResponse) -> Fetched:
        content = response.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise OSError(f"the answer is larger than {max_bytes} bytes")
        return Fetched(
            status=response.status,
            content=content,
            content_type=response.getheader("Content-Type", ""),
        )

    return _exchange("GET", url, body=None, headers=headers, timeout=timeout, read=read)
