"""The visitor's address behind trusted proxies."""

import pytest
from django.test import RequestFactory

from kundig.core.http import client_address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the socket's
        (1, "203.0.113.9", "203.0.113.9"),  # nginx added the visitor
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a client's own entry ignored
        (2, "203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9", "127.0.0.1"),  # fewer hops than proxies: the socket's
    ],
)
def test_client_address(settings, proxies, forwarded, expected):
    settings.KUNDIG_PROXIES = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_address(request) == expected
