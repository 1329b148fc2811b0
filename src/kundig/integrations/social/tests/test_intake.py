"""The intake endpoint: other tools post one JSON post each, over real HTTP
semantics (status codes), with a key; a post is stored once."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kundig.core.models import DomainEvent
from kundig.integrations.social.models import Post

pytestmark = pytest.mark.django_db

POST = {
    "id": "ig-1001",
    "text": "Mein Wanderschuh Alpin ist nach zwei Wochen kaputt. #kundig",
    "network": "instagram",
    "url": "https://instagram.example/p/1001",
    "posted_at": "2026-12-07T09:30:00Z",
    "author": {"name": "Max Muster", "handle": "@maxm"},
}


def send(client, source_key, payload=POST, slug="instagram", **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {source_key}"} if source_key else {}
    return client.post(
        reverse("social:intake", args=[slug]), body,
        content_type="application/json", **auth, **headers,
    )  # fmt: skip


def test_a_post_is_stored_once_and_announced(client, intake):
    source, key = intake

    first = send(client, key)
    again = send(client, key)

    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    post = Post.objects.get()
    assert (post.source, post.external_id, post.network) == (
        source,
        "ig-1001",
        "instagram",
    )
    assert (post.author_name, post.author_handle) == ("Max Muster", "@maxm")
    assert post.posted_at.isoformat() == "2026-12-07T09:30:00+00:00"
    (event,) = DomainEvent.objects.filter(name="social.post_received")
    assert event.subject_id == post.pk


@pytest.mark.parametrize("key", ["", "wrong"])
def test_without_the_key_nothing_is_stored(client, intake, key):
    response = send(client, key)

    assert response.status_code == 401
    assert not Post.objects.exists()


def test_an_unknown_source_is_refused(client, intake):
    assert send(client, intake[1], slug="twitter").status_code == 401


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"text": "ohne id"}, ["id"]),
        ({"id": "1"}, ["text"]),
        ({"id": "1", "text": "x", "url": "javascript:alert(1)"}, ["url"]),
        ({"id": "1", "text": "x", "posted_at": "gestern"}, ["posted_at"]),
        ({"id": "1", "text": "x", "author": "Max"}, ["author"]),
        ({"id": ["1"], "text": {"a": 1}}, ["id", "text"]),
        (b"not json", ["body"]),
        ([1, 2], ["body"]),
    ],
)
def test_a_bad_post_is_refused_naming_its_fields(client, intake, payload, fields):
    response = send(client, intake[1], payload)

    assert response.status_code == 422
    assert sorted(response.json()["fields"]) == fields
    assert not Post.objects.exists()


def test_a_large_body_and_a_get_are_refused(client, intake):
    big = dict(POST, text="x" * 70_000)

    assert send(client, intake[1], big).status_code == 413
    assert client.get(reverse("social:intake", args=["instagram"])).status_code == 405


def test_script_and_htmx_in_a_post_are_stored_and_shown_as_text(
    client, intake, admin, client_for
):
    sneaky = dict(POST, text='<script>alert(1)</script><b hx-get="/x">fett</b>')
    send(client, intake[1], sneaky)

    assert Post.objects.get().text == sneaky["text"]
    page = client_for(admin).get(reverse("social:source_list")).content.decode()
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b hx-get=&quot;/x&quot;&gt;" in page
    )
    assert '<b hx-get="/x">' not in page


def test_the_key_is_shown_once_after_creating_the_source(admin, client_for):
    client = client_for(admin)
    client.post(
        reverse("social:source_create"),
        {"kind": "intake", "name": "Reviews", "slug": "reviews", "is_active": "on"},
    )

    shown = client.get(reverse("social:source_list")).content.decode()
    again = client.get(reverse("social:source_list")).content.decode()

    assert 'id="new-key"' in shown and "/hooks/social/reviews/" in shown
    assert 'id="new-key"' not in again
