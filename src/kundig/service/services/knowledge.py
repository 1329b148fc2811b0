"""The knowledge base: articles saved with their meaning (a sentence embedding),
found by meaning, and by their words when meaning finds nothing.

Semantic search compares the question's embedding with each published
article's of the same language (one dot product over a small matrix); what
is similar enough comes first. Keyword search — every word of the question
in the title or text — is the fallback: for questions meaning finds nothing
for, and if the model cannot be loaded at all.
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kundig.core.audit import audit_changes, audit_created, audit_deleted
from kundig.core.choices import Language, Permission
from kundig.core.permissions import require
from kundig.core.text import one_line, strip_control_characters

from .. import embedding
from ..models import Article, ArticleCategory

log = logging.getLogger(__name__)

ARTICLE_FIELDS = ("category", "language", "title", "slug", "body", "is_published")
# Cosine similarity from which an article counts as an answer.
SIMILAR = 0.35
BODY_LENGTH = 50_000


def _text_for_meaning(article: Article) -> str:
    return f"{article.title}\n{article.body[:2000]}"


def _vector(text: str) -> bytes | None:
    try:
        return embedding.embed([text])[0].tobytes()
    except (ImportError, OSError, ValueError) as exc:  # no model: words only
        log.warning("knowledge base: no embedding (%s)", type(exc).__name__)
        return None


@transaction.atomic
def article_save(*, actor, article: Article | None = None, **data) -> Article:
    """Create or change an article; its meaning is computed as it is saved."""
    require(actor, Permission.SERVICE_DESK)
    creating = article is None
    article = article or Article()
    before = {} if creating else {f: str(getattr(article, f)) for f in ARTICLE_FIELDS}
    for name, value in data.items():
        if name not in ARTICLE_FIELDS:
            raise TypeError(f"unknown article field {name}")
        if name == "body":
            value = strip_control_characters(value or "").strip()
        elif isinstance(value, str):
            value = one_line(value)
        setattr(article, name, value)
    if not article.slug and article.title:
        article.slug = slugify(article.title)[:100] or "artikel"
    errors: dict[str, list[str]] = {}
    if len(article.body) > BODY_LENGTH:
        errors["body"] = [_("At most %(n)d characters.") % {"n": BODY_LENGTH}]
    if article.category_id and article.category.language != article.language:
        errors["category"] = [_("Choose a category of the article's language.")]
    try:
        article.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    article.embedding = _vector(_text_for_meaning(article))
    article.save()
    after = {f: str(getattr(article, f)) for f in ARTICLE_FIELDS}
    if creating:
        audit_created(article, actor=actor)
    else:
        audit_changes(article, actor=actor, before=before, after=after)
    return article


@transaction.atomic
def article_delete(*, actor, article: Article) -> None:
    require(actor, Permission.SERVICE_DESK)
    audit_deleted(article, actor=actor)
    article.delete()


@transaction.atomic
def article_category_save(*, actor, category=None, **data) -> ArticleCategory:
    require(actor, Permission.SERVICE_DESK)
    category = category or ArticleCategory()
    for name in ("name", "language", "position"):
        if name in data:
            value = data[name]
            setattr(
                category, name, one_line(value) if isinstance(value, str) else value
            )
    try:
        category.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    category.save()
    return category


def article_vote(*, article: Article, helpful: bool) -> None:
    """Count one "was this helpful?" answer."""
    field = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


# --- Finding --------------------------------------------------------------------------


def _published(language: str):
    if language not in Language.values:
        language = Language.GERMAN
    return Article.objects.filter(language=language, is_published=True)


@functools.lru_cache(maxsize=8)
def _matrix(language: str, version: tuple) -> tuple[list[int], np.ndarray]:
    """The published articles' ids and vectors of ``language``, kept while
    ``version`` (their count and latest change) stays the same."""
    rows = list(
        _published(language)
        .exclude(embedding=None)
        .order_by("pk")
        .values_list("pk", "embedding")
    )
    if not rows:
        return [], np.zeros((0, embedding.DIMENSIONS), dtype=np.float32)
    ids = [pk for pk, _vector in rows]
    matrix = np.vstack([np.frombuffer(bytes(v), dtype=np.float32) for _pk, v in rows])
    return ids, matrix


def _by_meaning(
    question: str, language: str, limit: int
) -> list[tuple[Article, float]]:
    version = _published(language).aggregate(n=Count("pk"), changed=Max("updated_at"))
    ids, matrix = _matrix(language, (version["n"], version["changed"]))
    if not ids:
        return []
    try:
        asked = embedding.embed([question])[0]
    except (ImportError, OSError, ValueError) as exc:
        log.warning("knowledge base: search by words only (%s)", type(exc).__name__)
        return []
    scores = (matrix @ asked).tolist()
    best = sorted(
        (
            (pk, score)
            for pk, score in zip(ids, scores, strict=True)
            if score >= SIMILAR
        ),
        key=lambda pair: -pair[1],
    )[:limit]
    articles = Article.objects.defer("embedding").in_bulk([pk for pk, _s in best])
    return [(articles[pk], score) for pk, score in best if pk in articles]


def _by_words(question: str, language: str, limit: int) -> list[Article]:
    words = [w for w in re.findall(r"\w+", question.lower()) if len(w) > 2][:10]
    if not words:
        return []
    any_word = Q()
    for word in words:
        any_word |= Q(title__icontains=word) | Q(body__icontains=word)
    found = list(_published(language).defer("embedding").filter(any_word)[:200])

    def hits(article: Article) -> int:
        text = f"{article.title} {article.title} {article.body}".lower()
        return sum(text.count(word) for word in words)

    return sorted(found, key=lambda a: (-hits(a), a.title))[:limit]


def articles_find(*, question: str, language: str, limit: int = 5) -> list[Article]:
    """The articles that answer ``question`` best: by meaning, else by words."""
    question = one_line(question)[:500]
    if not question:
        return []
    found = [article for article, _score in _by_meaning(question, language, limit)]
    if len(found) < limit:
        for article in _by_words(question, language, limit):
            if article not in found:
                found.append(article)
    return found[:limit]
