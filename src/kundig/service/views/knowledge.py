"""The knowledge base: public help pages with search and "was this helpful?",
and the articles' pages for the service desk."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from .. import services
from ..forms import ArticleCategoryForm, ArticleForm
from ..models import Article, ArticleCategory
from .common import add_errors, posted

VOTED = "help_voted"


def _language(request, fallback: str = "") -> str:
    for choice in (request.GET.get("lang", ""), fallback):
        if choice in dict(settings.LANGUAGES):
            return choice
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


# --- Public ---------------------------------------------------------------------------


def help_index(request):
    """The help pages: search, and the articles by category, in one language."""
    language = _language(request)
    question = request.GET.get("q", "").strip()[:500]
    found = (
        services.articles_find(question=question, language=language) if question else []
    )
    categories = (
        ArticleCategory.objects.filter(language=language)
        .prefetch_related(
            Prefetch(
                "articles",
                queryset=Article.objects.only(
                    "pk", "category_id", "title", "slug", "is_published"
                ),
            )
        )
        .order_by("position", "name")
    )
    with translation.override(language):
        return render(
            request,
            "service/help/index.html",
            {
                "language": language,
                "question": question,
                "found": found,
                "categories": [
                    (c, [a for a in c.articles.all() if a.is_published])
                    for c in categories
                ],
            },
        )


def help_article(request, slug: str):
    article = get_object_or_404(Article, slug=slug, is_published=True)
    with translation.override(article.language):
        return render(
            request,
            "service/help/article.html",
            {
                "article": article,
                "language": article.language,
                "voted": article.pk in request.session.get(VOTED, []),
                "paragraphs": [p for p in article.body.split("\n\n") if p.strip()],
            },
        )


@require_POST
def help_vote(request, slug: str):
    """One answer per visitor (session) and article."""
    article = get_object_or_404(Article, slug=slug, is_published=True)
    voted = request.session.get(VOTED, [])
    if article.pk not in voted and request.POST.get("helpful") in ("yes", "no"):
        helpful = request.POST["helpful"] == "yes"
        services.article_vote(article=article, helpful=helpful)
        request.session[VOTED] = [*voted, article.pk][-200:]
    return redirect(article.get_absolute_url() + "#helpful")


# --- For the service desk -------------------------------------------------------------


@role_required(Permission.SERVICE_DESK)
def article_list(request):
    form = ArticleCategoryForm(posted(request), initial={"language": "de"})
    if request.method == "POST" and form.is_valid():
        try:
            services.article_category_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The category is saved."))
            return redirect("service:article_list")
    return render(
        request,
        "service/article_list.html",
        {
            "articles": Article.objects.select_related("category").order_by(
                "language", "category__position", "title"
            ),
            "categories": ArticleCategory.objects.all(),
            "category_form": form,
        },
        status=422 if form.errors else 200,
    )


@role_required(Permission.SERVICE_DESK)
def article_edit(request, pk: int | None = None):
    article = get_object_or_404(Article, pk=pk) if pk else None
    initial = {"language": "de", "is_published": True}
    if article is not None:
        initial = {
            "title": article.title,
            "language": article.language,
            "category": article.category_id,
            "slug": article.slug,
            "body": article.body,
            "is_published": article.is_published,
        }
    form = ArticleForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.article_save(
                actor=request.user, article=article, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("service:article_list")
    return render(
        request,
        "service/article_form.html",
        {"form": form, "article": article},
        status=422 if form.errors else 200,
    )


@require_POST
@role_required(Permission.SERVICE_DESK)
def article_delete(request, pk: int):
    article = get_object_or_404(Article, pk=pk)
    services.article_delete(actor=request.user, article=article)
    messages.success(request, _("%(name)s was deleted.") % {"name": article.title})
    return redirect("service:article_list")
