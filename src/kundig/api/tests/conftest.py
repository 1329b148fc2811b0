"""Fixtures of the API tests: a JSON client that sends a persona's API token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kundig.core.services import token_create

PREFIX = "/api/v1"


class ApiClient:
    """Talk JSON to /api/v1 through the whole Django stack, middleware included."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @staticmethod
    def url(path: str) -> str:
        return path if path.startswith(PREFIX) else PREFIX + path

    def get(self, path: str, params=None):
        return self.client.get(self.url(path), params or {}, headers=self._headers())

    def _send(self, method: str, path: str, body, raw: str | None):
        content = raw if raw is not None else json.dumps(body, default=str)
        return getattr(self.client, method)(
            self.url(path),
            content,
            content_type="application/json",
            headers=self._headers(),
        )

    def post(self, path: str, body=None, *, raw: str | None = None):
        return self._send("post", path, body if body is not None else {}, raw)

    def patch(self, path: str, body=None, *, raw: str | None = None):
        return self._send("patch", path, body if body is not None else {}, raw)

    def put(self, path: str, body=None):
        return self._send("put", path, body if body is not None else {}, None)

    def delete(self, path: str):
        return self.client.delete(self.url(path), headers=self._headers())


@pytest.fixture
def api_as():
    """Return a client authenticated as a persona: ``api_as(sales_nord)``."""

    def make(user) -> ApiClient:
        _token, plain = token_create(user=user, name="API tests")
        return ApiClient(plain)

    return make


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient()


def walk(client: ApiClient, path: str, params: dict | None = None) -> list[dict]:
    """Follow ``next`` through every page of a list; return all results."""
    params = dict(params or {})
    results: list[dict] = []
    for _page in range(1000):
        response = client.get(path, params)
        assert response.status_code == 200, response.json()
        body = response.json()
        results += body["results"]
        if body["next"] is None:
            return results
        params["cursor"] = body["next"]
    raise AssertionError("the cursor never ended")
