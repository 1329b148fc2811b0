"""Social posts the keyword rules match become tickets or tasks: a post naming
the company or a product opens a ticket in the right queue, angry ones first,
from a contact made once per author; the sentiment flag in German and English;
the rules' pages."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kundig.activity.models import Task, TimelineEntry
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.core.models import DomainEvent
from kundig.integrations.social import services as social
from kundig.integrations.social.models import Post
from kundig.service import services
from kundig.service.models import KeywordRule, Queue, Ticket
from kundig.service.sentiment import sentiment
from kundig.service.tests.conftest import english

pytestmark = pytest.mark.django_db


@pytest.fixture
def intake(admin):
    source, _key = social.source_save(
        actor=admin, kind="intake", name="Zapier", slug="zapier", url="",
        is_active=True,
    )  # fmt: skip
    return source


@pytest.fixture
def brand_rule(admin, desk):
    return services.keyword_rule_save(
        actor=admin, name="Marke", keywords="Kundig Outdoor\n#kundig",
        match_products=False, action="ticket", queue=desk, category="complaint",
        assignee=None, position=10, is_active=True,
    )  # fmt: skip


def posted(source, text, n=1, handle="@maxm", name="Max Muster"):
    post, _created = social.post_record(
        source=source,
        data=social.PostData(
            external_id=f"p-{n}", text=text, posted_at=social.timezone.now(),
            network="instagram", author_name=name, author_handle=handle,
            url=f"https://instagram.example/p/{n}",
        ),
    )  # fmt: skip
    events.dispatch_pending()
    return post


# --- tickets --------------------------------------------------------------------------


def test_an_angry_post_naming_the_company_opens_a_ticket_first_in_line(
    intake, brand_rule, desk
):
    post = posted(intake, "Kundig Outdoor hat mein Paket verloren. Nie wieder!!!")

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.queue, ticket.category) == (
        "social",
        desk,
        "complaint",
    )
    assert (ticket.sentiment, ticket.priority) == ("negative", "high")
    assert ticket.subject.startswith("Instagram · @maxm: Kundig Outdoor hat mein Paket")
    assert "https://instagram.example/p/1" in ticket.entries.get().body
    contact = ticket.contact
    assert (contact.first_name, contact.last_name) == ("Max", "Muster")
    assert list(contact.tags.values_list("name", flat=True)) == ["social"]
    post.refresh_from_db()
    assert post.contact == contact
    social_entry = TimelineEntry.objects.get(kind="social")
    assert social_entry.contact == contact and "@maxm" in social_entry.summary


def test_the_same_author_posting_again_is_the_same_contact(intake, brand_rule):
    posted(intake, "#kundig wo ist mein Paket?", n=1)
    posted(intake, "#Kundig immer noch nichts", n=2)

    first, second = Ticket.objects.order_by("id")
    assert first.contact == second.contact


def test_a_post_is_handled_once(intake, brand_rule):
    posted(intake, "#kundig hallo")
    DomainEvent.objects.filter(name="social.post_received").update(dispatched_at=None)
    events.dispatch_pending()

    assert Ticket.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="social").count() == 1


def test_a_post_naming_a_product_of_the_shop_opens_a_ticket(admin, intake, desk):
    commerce.order_record(actor=None, source="shop-1", data=order("5101"))  # T-Shirt
    services.keyword_rule_save(
        actor=admin, name="Produkte", keywords="", match_products=True,
        action="ticket", queue=desk, category="question", assignee=None,
        position=10, is_active=True,
    )  # fmt: skip

    posted(intake, "Das t-shirt ist super, danke!")

    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.sentiment, ticket.priority) == (
        "question", "positive", "normal",
    )  # fmt: skip


def test_only_whole_words_match(intake, brand_rule):
    posted(intake, "Kundig Outdoorsy stuff and #kundigfans")

    assert not Ticket.objects.exists()
    assert Post.objects.get().contact is None


def test_a_task_rule_gives_the_queue_team_lead_a_task(admin, intake, desk, lead):
    services.keyword_rule_save(
        actor=admin, name="Erwähnungen", keywords="Kundig", match_products=False,
        action="task", queue=desk, category="question", assignee=None, position=10,
        is_active=True,
    )  # fmt: skip

    posted(intake, "Kundig hat neue Schuhe")

    task = Task.objects.get()
    assert task.assignee == lead and task.title.startswith("Instagram · @maxm")
    assert not Ticket.objects.exists()


def test_the_first_matching_rule_decides(admin, intake, brand_rule):
    returns = Queue.objects.create(name="Retouren")
    services.keyword_rule_save(
        actor=admin, name="Retouren", keywords="Rücksendung", match_products=False,
        action="ticket", queue=returns, category="return", assignee=None,
        position=1, is_active=True,
    )  # fmt: skip

    posted(intake, "#kundig wie geht die Rücksendung?")

    assert Ticket.objects.get().queue == returns


def test_the_intake_endpoint_to_a_ticket_over_http(client, admin, desk, brand_rule):
    _source, key = social.source_save(
        actor=admin, kind="intake", name="Zapier", slug="zapier2", url="",
        is_active=True,
    )  # fmt: skip

    response = client.post(
        reverse("social:intake", args=["zapier2"]),
        json.dumps({"id": "x1", "text": "Danke #kundig, top Service"}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip
    events.dispatch_pending()

    assert response.status_code == 202
    assert Ticket.objects.get().sentiment == "positive"


def test_no_rule_no_ticket(intake):
    posted(intake, "Kundig Outdoor ist schlecht")

    assert not Ticket.objects.exists()


def test_a_ticket_from_a_post_shows_its_text_escaped(
    intake, brand_rule, agent, client_for
):
    posted(intake, '#kundig <script>alert(1)</script><a hx-post="/x">klick</a>')
    ticket = Ticket.objects.get()

    page = client_for(agent).get(ticket.get_absolute_url()).content.decode()
    listed = client_for(agent).get(reverse("service:ticket_list")).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a hx-post="/x">' not in page and "<script>alert(1)" not in listed


# --- sentiment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paket kaputt angekommen, echt enttäuscht.", "negative"),
        ("Nie wieder bestelle ich hier.", "negative"),
        ("WARUM ANTWORTET NIEMAND???", "negative"),
        ("Das ist nicht gut.", "negative"),
        ("Super schnelle Lieferung, vielen Dank!", "positive"),
        ("Kein Problem, alles bestens.", "positive"),
        ("Worst service ever, I want my money back", "negative"),
        ("Not happy with the shoes.", "negative"),
        ("Love the new jacket, thanks!", "positive"),
        ("Wann öffnet der Laden?", "neutral"),
        ("", "neutral"),
    ],
)
def test_the_sentiment_flag(text, expected):
    assert sentiment(text) == expected


# --- rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"keywords": "", "match_products": False}, "keywords"),
        ({"keywords": "a"}, "keywords"),
        ({"name": ""}, "name"),
        ({"action": "mail"}, "action"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(admin, desk, data, field):
    fields = {
        "name": "R", "keywords": "Kundig", "match_products": False,
        "action": "ticket", "queue": desk, "category": "question",
        "assignee": None, "position": 1, "is_active": True, **data,
    }  # fmt: skip

    with pytest.raises(ValidationError) as error:
        services.keyword_rule_save(actor=admin, **fields)

    assert field in error.value.message_dict
    assert not KeywordRule.objects.exists()


def test_the_rule_pages(admin, desk, client_for, agent):
    client = client_for(english(admin))

    response = client.post(
        reverse("service:social_rule_create"),
        {"name": "Marke", "keywords": "Kundig\n\n#kundig ", "action": "ticket",
         "queue": desk.pk, "category": "complaint", "position": "5",
         "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    rule = KeywordRule.objects.get()
    assert rule.keyword_list() == ["Kundig", "#kundig"]
    listed = client.get(reverse("service:social_rule_list")).content.decode()
    assert "Kundig, #kundig" in listed
    assert client.get(rule.get_absolute_url()).status_code == 200
    client.post(reverse("service:social_rule_delete", args=[rule.pk]))
    assert not KeywordRule.objects.exists()
    assert client_for(agent).get(reverse("service:social_rule_list")).status_code == 403


def test_a_feed_author_without_a_handle_is_one_contact(intake, brand_rule):
    posted(intake, "#kundig eins", n=1, handle="", name="Bewertungsportal")
    posted(intake, "#kundig zwei", n=2, handle="", name="Bewertungsportal")

    first, second = Ticket.objects.order_by("id")
    assert first.contact == second.contact
