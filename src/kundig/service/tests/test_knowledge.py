"""The knowledge base: the embedding matches sentence-transformers, articles are
found by meaning and by words, "was this helpful?" counts once, drafts stay
hidden, and the pages for customers and for the desk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kundig.service import embedding, services
from kundig.service.models import Article, ArticleCategory

pytestmark = pytest.mark.django_db

REFERENCE = json.loads((Path(__file__).parent / "embedding_reference.json").read_text())

ARTICLES = [
    ("de", "Wie schicke ich etwas zurück?",
     "Sie haben 30 Tage Rückgaberecht. Melden Sie die Rücksendung in Ihrem "
     "Kundenkonto an; das Rücksendeetikett kommt per Mail."),
    ("de", "Wann kommt mein Paket?",
     "Pakete sind meist in zwei bis drei Werktagen bei Ihnen. Den Link zur "
     "Sendungsverfolgung finden Sie in der Versandbestätigung."),
    ("de", "Welche Zahlungsarten gibt es?",
     "Sie zahlen per Rechnung, Kreditkarte, PayPal oder Vorkasse."),
    ("en", "How do I return something?",
     "You have 30 days to return items. Announce the return in your account; "
     "the return label comes by mail."),
]  # fmt: skip


def test_the_embedding_matches_sentence_transformers():
    vectors = embedding.embed(REFERENCE["texts"])

    assert vectors.shape == (5, 384)
    assert np.abs(vectors - np.array(REFERENCE["vectors"])).max() < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


@pytest.fixture
def knowledge(agent):
    categories = {
        language: services.article_category_save(
            actor=agent,
            name="Bestellung" if language == "de" else "Orders",
            language=language,
            position=1,
        )
        for language in ("de", "en")
    }
    return [
        services.article_save(
            actor=agent,
            category=categories[language],
            language=language,
            title=title,
            slug="",
            body=body,
            is_published=True,
        )
        for language, title, body in ARTICLES
    ]


def titles(articles) -> list[str]:
    return [a.title for a in articles]


def test_an_article_is_saved_with_its_meaning(knowledge):
    article = knowledge[0]

    assert article.slug == "wie-schicke-ich-etwas-zuruck"
    vector = np.frombuffer(bytes(article.embedding), dtype=np.float32)
    assert vector.shape == (384,)


@pytest.mark.parametrize(
    ("question", "language", "first"),
    [
        # no shared word with the article: found by meaning
        ("Die Schuhe sind zu klein, kann ich sie zurückgeben?", "de",
         "Wie schicke ich etwas zurück?"),
        ("Meine Lieferung ist noch nicht da", "de", "Wann kommt mein Paket?"),
        ("Kann ich mit PayPal bezahlen?", "de", "Welche Zahlungsarten gibt es?"),
        ("The shoes don't fit, can I send them back?", "en",
         "How do I return something?"),
    ],
)  # fmt: skip
def test_articles_are_found_by_meaning(knowledge, question, language, first):
    found = services.articles_find(question=question, language=language)

    assert titles(found)[0] == first
    assert all(a.language == language for a in found)


def test_without_the_model_words_still_find(knowledge, monkeypatch):
    def broken():
        raise OSError("no model")

    monkeypatch.setattr(embedding, "model", broken)

    found = services.articles_find(question="Zahlungsarten Rechnung", language="de")

    assert titles(found) == ["Welche Zahlungsarten gibt es?"]


def test_a_draft_is_never_found(knowledge, agent):
    services.article_save(
        actor=agent, article=knowledge[2], is_published=False,
    )  # fmt: skip

    found = services.articles_find(
        question="Kann ich mit PayPal bezahlen?", language="de"
    )

    assert "Welche Zahlungsarten gibt es?" not in titles(found)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": ""}, "body"),
        ({"language": "en"}, "category"),
    ],
)
def test_a_bad_article_is_refused_naming_the_field(knowledge, agent, data, field):
    with pytest.raises(ValidationError) as error:
        services.article_save(actor=agent, article=knowledge[0], **data)

    assert field in error.value.message_dict


def test_only_the_service_desk_writes_articles(knowledge, read_only_nord):
    with pytest.raises(PermissionDenied):
        services.article_save(actor=read_only_nord, article=knowledge[0], title="x")


# --- the pages ------------------------------------------------------------------------


def test_customers_search_the_help_pages_in_their_language(knowledge, client):
    response = client.get(
        reverse("service:help_index"),
        {"lang": "de", "q": "Die Schuhe sind zu klein, kann ich sie zurückgeben?"},
    )

    assert titles(response.context["found"])[0] == "Wie schicke ich etwas zurück?"
    assert "How do I return something?" not in response.content.decode()


def test_was_this_helpful_counts_once_per_visitor(knowledge, client):
    article = knowledge[0]
    vote = reverse("service:help_vote", args=[article.slug])

    client.post(vote, {"helpful": "yes"})
    client.post(vote, {"helpful": "yes"})
    type(client)().post(vote, {"helpful": "no"})

    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    shown = client.get(article.get_absolute_url()).content.decode()
    assert "Danke" in shown or "Thank you for your answer!" in shown


def test_a_draft_page_is_not_found(knowledge, agent, client):
    services.article_save(actor=agent, article=knowledge[1], is_published=False)

    assert client.get(knowledge[1].get_absolute_url()).status_code == 404


def test_an_article_shows_its_text_escaped(knowledge, agent, client):
    services.article_save(
        actor=agent, article=knowledge[0], body="<script>alert(1)</script>\n\nZweiter"
    )

    page = client.get(knowledge[0].get_absolute_url()).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<p>Zweiter</p>" in page


def test_the_desk_writes_articles_on_its_pages(agent, client_for):
    client = client_for(agent)
    client.post(
        reverse("service:article_list"),
        {"name": "Versand", "language": "de", "position": "1"},
    )
    category = ArticleCategory.objects.get()

    response = client.post(
        reverse("service:article_create"),
        {"title": "Versandkosten", "language": "de", "category": category.pk,
         "slug": "", "body": "Ab 50 € liefern wir kostenlos.", "is_published": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.slug == "versandkosten" and article.embedding is not None
    listed = client.get(reverse("service:article_list")).content.decode()
    assert "Versandkosten" in listed
