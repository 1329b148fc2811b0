"""Reading RSS and Atom feeds and a Mastodon account's mentions from a real
local web server: each post once, the Mastodon cursor kept, errors kept."""

from __future__ import annotations

import json

import pytest

from kundig.core import crypto
from kundig.integrations.social import services
from kundig.integrations.social.models import Post, Source
from kundig.integrations.social.tasks import social_poll

pytestmark = pytest.mark.django_db

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bewertungen</title>
<item><guid>r-1</guid><title>Lieferung kam nie an</title>
<description>&lt;p&gt;Seit zwei Wochen warte ich auf den &lt;b&gt;Wanderschuh Alpin&lt;/b&gt;.&lt;/p&gt;</description>
<link>https://reviews.example/r-1</link><author>kunde@example.de (Kim)</author>
<pubDate>Mon, 07 Dec 2026 08:00:00 GMT</pubDate></item>
<item><guid>r-2</guid><title>Toller Laden</title><link>https://reviews.example/r-2</link></item>
</channel></rss>"""  # noqa: E501

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Alerts</title><id>urn:a</id>
<updated>2026-12-07T08:00:00Z</updated>
<entry><id>urn:a:1</id><title>Kundig im Test</title>
<updated>2026-12-06T10:00:00Z</updated><author><name>Blog</name></author>
<summary type="html">&lt;script&gt;evil()&lt;/script&gt;Guter Service</summary>
<link href="https://blog.example/1"/></entry></feed>"""


def mention(n: int, text: str) -> dict:
    return {
        "id": str(100 + n),
        "type": "mention",
        "created_at": "2026-12-07T09:00:00.000Z",
        "account": {"acct": f"user{n}@social.example", "display_name": f"User {n}"},
        "status": {
            "id": str(9000 + n),
            "url": f"https://social.example/@user{n}/{9000 + n}",
            "content": f"<p><span>@kundig</span> {text}</p>",
            "created_at": "2026-12-07T09:00:00.000Z",
        },
    }


def feed(admin, url, kind="feed", token=None):
    source, _key = services.source_save(
        actor=admin, kind=kind, name=kind, slug=kind, url=url, token=token,
        is_active=True,
    )  # fmt: skip
    return source


def test_an_rss_feed_is_read_once_per_item(admin, web):
    web.serve("/reviews.rss", RSS)
    source = feed(admin, web.url + "/reviews.rss")

    assert services.source_poll(source) == 2
    assert services.source_poll(source) == 0

    first = Post.objects.get(external_id="r-1")
    assert first.text == (
        "Lieferung kam nie an\nSeit zwei Wochen warte ich auf den Wanderschuh Alpin."
    )
    assert (first.url, first.network) == ("https://reviews.example/r-1", "feed")
    assert first.posted_at.isoformat() == "2026-12-07T08:00:00+00:00"
    source.refresh_from_db()
    assert source.last_polled_at is not None and source.last_error == ""


def test_an_atom_feed_keeps_words_not_scripts(admin, web):
    web.serve("/alerts.atom", ATOM)
    source = feed(admin, web.url + "/alerts.atom")

    services.source_poll(source)

    post = Post.objects.get()
    assert post.text == "Kundig im Test\nGuter Service"
    assert post.author_name == "Blog"


def fake_mastodon(web, mentions: list[dict]):
    """Mastodon's notifications: the newest page, or the page just after min_id."""

    def notifications(handler):
        query = handler.path.partition("?")[2]
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        limit = int(params.get("limit", "40"))
        after = int(params.get("min_id", "0"))
        newer = [m for m in mentions if int(m["id"]) > after]
        page = newer[:limit] if after else newer[-limit:]
        body = json.dumps(list(reversed(page))).encode()
        return 200, "application/json", body

    web.routes["/api/v1/notifications"] = (200, "application/json", notifications)


def test_mastodon_mentions_are_read_with_the_token_and_a_cursor(admin, web):
    mentions = [mention(1, "Wo bleibt mein Paket???")]
    fake_mastodon(web, mentions)
    source = feed(admin, web.url, kind="mastodon", token="secret-token")

    assert services.source_poll(source) == 1
    mentions.append(mention(2, "Danke, alles bestens"))
    assert services.source_poll(source) == 1
    assert services.source_poll(source) == 0

    first, second = web.requests[:2]
    assert first["headers"]["Authorization"] == "Bearer secret-token"
    assert first["query"]["types[]"] == ["mention"] and "min_id" not in first["query"]
    assert second["query"]["min_id"] == ["101"]
    assert web.requests[-1]["query"]["min_id"] == ["102"]
    post = Post.objects.get(external_id="9001")
    assert (post.author_handle, post.author_name) == ("@user1@social.example", "User 1")
    assert post.text == "@kundig Wo bleibt mein Paket???"
    source.refresh_from_db()
    assert source.cursor == "102"
    assert crypto.decrypt(source.token_encrypted) == "secret-token"


def test_a_busy_spell_of_more_than_a_page_loses_no_mention(admin, web):
    mentions = [mention(1, "erste")]
    fake_mastodon(web, mentions)
    source = feed(admin, web.url, kind="mastodon", token="t")
    services.source_poll(source)
    mentions += [mention(n, f"Erwähnung {n}") for n in range(2, 48)]  # 46 new

    assert services.source_poll(source) == 46

    assert Post.objects.count() == 47
    source.refresh_from_db()
    assert source.cursor == str(100 + 47)


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/missing", b"", 404, "The server answered 404."),
        ("/page.html", b"<html><body>kein Feed</body></html>", 200, "not an RSS"),
    ],
)
def test_a_failure_is_kept_on_the_source(admin, web, path, body, status, error):
    if body:
        web.serve(path, body, "text/html", status)
    source = feed(admin, web.url + path)

    assert services.source_poll(source) == 0

    source.refresh_from_db()
    assert error in source.last_error
    assert not Post.objects.exists()


def test_a_wrong_mastodon_token_is_kept_as_the_error(admin, web):
    web.serve("/api/v1/notifications", b'{"error":"invalid"}', "application/json", 401)
    source = feed(admin, web.url, kind="mastodon", token="wrong")

    services.source_poll(source)

    source.refresh_from_db()
    assert source.last_error == "The server answered 401."


def test_a_private_address_is_refused_outside_tests(admin, web, settings):
    web.serve("/reviews.rss", RSS)
    source = feed(admin, web.url + "/reviews.rss")
    settings.KUNDIG_WEBHOOKS_ALLOW_PRIVATE = False

    services.source_poll(source)

    source.refresh_from_db()
    assert "loopback" in source.last_error
    assert not Post.objects.exists()


def test_the_scheduled_task_reads_active_feeds_only(admin, web):
    web.serve("/reviews.rss", RSS)
    feed(admin, web.url + "/reviews.rss")
    Source.objects.create(
        kind="feed", name="Off", slug="off", url=web.url + "/x", is_active=False
    )

    assert social_poll.call() == {"new": 2}
    assert [r["path"] for r in web.requests] == ["/reviews.rss"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "feed", "url": ""}, "url"),
        ({"kind": "feed", "url": "ftp://x.example/feed"}, "url"),
        ({"kind": "mastodon", "url": "https://social.example"}, "token"),
        ({"kind": "feed", "url": "https://x.example/f", "slug": "a b"}, "slug"),
    ],
)
def test_a_bad_source_is_refused_naming_the_field(admin, data, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.source_save(
            actor=admin, name="X", **{"slug": "x", **data}, is_active=True
        )

    assert field in error.value.message_dict
    assert not Source.objects.exists()
