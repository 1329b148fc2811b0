"""No request to loopback, private or link-local addresses, checked at connect time."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess

import pytest

from kundig.integrations.outgoing import net, services

from .conftest import Receiver, deliver, start_server, stop_server

pytestmark = pytest.mark.django_db

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch):
    """Answer lookups of made-up names from a table; count the lookups."""
    table: dict[str, list[list[str]]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        asked.append(host)
        answers = table[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    fake = type("FakeDNS", (), {"table": table, "asked": asked})
    return fake


def subscription_saved_while_allowed(settings, make_subscription, url):
    """Save a URL the way it could have been saved (allowed, or DNS changed later)."""
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True
    subscription = make_subscription(url)
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = False
    return subscription


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_receiver_is_refused_without_a_connection(
    settings, receiver, make_subscription, make_event, host
):
    subscription = subscription_saved_while_allowed(
        settings, make_subscription, f"http://{host}:{receiver.port}/hook"
    )
    delivery = deliver(subscription, make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert (
        delivery.last_error
        == f"refused: {host} resolves to 127.0.0.1 (loopback), not a public address"
    )
    assert delivery.last_status_code is None
    assert delivery.status == "failed"
    assert receiver.connections == 0
    assert receiver.requests == []


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0"])
def test_odd_spellings_of_loopback_are_judged_by_what_they_resolve_to(settings, host):
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(net.Refused, match="resolves to"):
        net.resolve(net.Target("http", host, 80, "/"))


def test_an_ipv6_loopback_receiver_is_refused_without_a_connection(
    settings, make_subscription, make_event
):
    receiver = Receiver()
    try:
        server = start_server(receiver, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        subscription = subscription_saved_while_allowed(
            settings, make_subscription, f"http://[::1]:{receiver.port}/hook"
        )
        delivery = deliver(subscription, make_event())

        assert services.delivery_send(delivery.pk) == "failed"

        delivery.refresh_from_db()
        assert delivery.last_error == (
            "refused: ::1 resolves to ::1 (loopback), not a public address"
        )
        assert receiver.connections == 0
    finally:
        stop_server(server, receiver)


def test_a_private_receiver_is_refused_before_connecting(
    settings, make_subscription, make_event
):
    subscription = subscription_saved_while_allowed(
        settings, make_subscription, "http://10.20.30.40:8080/hook"
    )
    delivery = deliver(subscription, make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.last_error == (
        "refused: 10.20.30.40 resolves to 10.20.30.40 (private), not a public address"
    )


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    settings, fake_dns, receiver, make_subscription, make_event
):
    fake_dns.table["hooks.example.test"] = [["93.184.215.14", "127.0.0.1"]]
    subscription = subscription_saved_while_allowed(
        settings, make_subscription, f"http://hooks.example.test:{receiver.port}/"
    )
    delivery = deliver(subscription, make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert "hooks.example.test resolves to 127.0.0.1" in delivery.last_error
    assert receiver.connections == 0


def test_the_connection_goes_to_the_address_that_was_checked(
    fake_dns, receiver, make_subscription, make_event
):
    # DNS rebinding: a second lookup would answer differently. There is none.
    fake_dns.table["hooks.example.test"] = [["127.0.0.1"], ["10.99.99.99"]]
    subscription = make_subscription(f"http://hooks.example.test:{receiver.port}/in")
    delivery = deliver(subscription, make_event())

    assert services.delivery_send(delivery.pk) == "succeeded"

    assert fake_dns.asked == ["hooks.example.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.178.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104
        "0.1.2.3",
        "224.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
        "2001:db8::1",
    ],
)
def test_addresses_that_are_not_public_are_refused(address):
    assert net.address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"],
)
def test_public_addresses_pass(address):
    assert net.address_problem(ipaddress.ip_address(address)) is None


def _openssl_certificate(tmp_path, name: str):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(settings, tmp_path, fake_dns):
    """An HTTPS receiver for hooks.example.test (self-signed) on 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = True
    fake_dns.table["hooks.example.test"] = [["127.0.0.1"]]
    cert, key = _openssl_certificate(tmp_path, "hooks.example.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    receiver = Receiver()
    receiver.scheme, receiver.host = "https", "hooks.example.test"
    receiver.server_names = names
    receiver.certificate = cert
    server = start_server(
        receiver, wrap=lambda s: context.wrap_socket(s, server_side=True)
    )
    try:
        yield receiver
    finally:
        stop_server(server, receiver)


def test_https_checks_the_certificate_against_the_host_name(
    tls_receiver, make_subscription, make_event, monkeypatch
):
    # Trust the receiver's certificate as if a public CA had issued it.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_receiver.certificate))
    delivery = deliver(make_subscription(tls_receiver.url()), make_event())

    assert services.delivery_send(delivery.pk) == "succeeded"

    assert tls_receiver.server_names == ["hooks.example.test"]
    [request] = tls_receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{tls_receiver.port}"


def test_https_refuses_a_certificate_nobody_vouches_for(
    tls_receiver, make_subscription, make_event, monkeypatch, tmp_path
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    delivery = deliver(make_subscription(tls_receiver.url()), make_event())

    assert services.delivery_send(delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert tls_receiver.requests == []
