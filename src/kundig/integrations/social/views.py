"""Social sources for administrators, and the intake endpoint."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import selectors, services
from .choices import SourceKind
from .forms import SourceForm
from .models import Source

MAX_INTAKE_BYTES = 64_000


@csrf_exempt
def intake(request, slug: str):
    """Take one post: 202 when stored, 200 for a duplicate, 401 without the key,
    422 naming the bad fields, 413 for a body over 64 KB."""
    if request.method != "POST":
        return JsonResponse(
            {"error": "Use POST."}, status=405, headers={"Allow": "POST"}
        )
    auth = request.headers.get("Authorization", "")
    key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    source = services.intake_source(slug, key)
    if source is None:
        return JsonResponse(
            {"error": "Unknown source or wrong key (Authorization: Bearer <key>)."},
            status=401,
        )
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()) or int(length) > MAX_INTAKE_BYTES:
        return JsonResponse({"error": "The body is larger than 64 KB."}, status=413)
    try:
        data = services.intake_parse(request.body)
    except ValidationError as exc:
        return JsonResponse(
            {"error": "Invalid post.", "fields": exc.message_dict}, status=422
        )
    post, created = services.post_record(source=source, data=data)
    return JsonResponse(
        {"status": "accepted" if created else "duplicate", "post": post.pk},
        status=202 if created else 200,
    )


@role_required(Permission.MANAGE)
def source_list(request):
    return render(
        request,
        "social/source_list.html",
        {
            "sources": selectors.sources(),
            "posts": selectors.posts_latest(50),
            "new_key": request.session.pop("social_new_key", None),
        },
    )


@role_required(Permission.MANAGE)
def source_edit(request, pk: int | None = None):
    source = get_object_or_404(Source, pk=pk) if pk else None
    initial = {"kind": SourceKind.FEED, "is_active": True}
    if source is not None:
        initial = {
            "kind": source.kind,
            "name": source.name,
            "slug": source.slug,
            "url": source.url,
            "is_active": source.is_active,
        }
    form = SourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        token = data.pop("token") or None
        try:
            saved, key = services.source_save(
                actor=request.user, source=source, token=token, **data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if key:
                request.session["social_new_key"] = {
                    "name": saved.name,
                    "key": key,
                    "path": saved.intake_path(),
                }
            messages.success(request, _("The source is saved."))
            return redirect("social:source_list")
    return render(
        request,
        "social/source_form.html",
        {"form": form, "source": source},
        status=422 if form.errors else 200,
    )


@require_POST
@role_required(Permission.MANAGE)
def source_poll(request, pk: int):
    source = get_object_or_404(Source, pk=pk)
    new = services.source_poll(source)
    source.refresh_from_db()
    if source.last_error:
        messages.error(request, source.last_error)
    else:
        messages.success(
            request,
            ngettext("%(n)d new post.", "%(n)d new posts.", new) % {"n": new},
        )
    return redirect("social:source_list")
