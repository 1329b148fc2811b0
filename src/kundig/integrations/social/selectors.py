"""Reading social sources and posts."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Post, Source


def sources() -> QuerySet[Source]:
    return Source.objects.annotate(post_count=Count("posts"))


def post_get(pk: int) -> Post | None:
    return Post.objects.select_related("source").filter(pk=pk).first()


def posts_latest(limit: int = 50) -> list[Post]:
    return list(Post.objects.select_related("source")[:limit])
