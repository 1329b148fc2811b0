"""Keyword rules for social posts (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from .. import selectors, services
from ..forms import KeywordRuleForm
from ..models import KeywordRule
from .common import add_errors, posted


@role_required(Permission.MANAGE)
def social_rule_list(request):
    return render(
        request, "service/social_rule_list.html", {"rules": selectors.keyword_rules()}
    )


@role_required(Permission.MANAGE)
def social_rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(selectors.keyword_rules(), pk=pk) if pk else None
    initial = {
        "is_active": True,
        "position": 100,
        "queue": selectors.queue_default(),
        "category": "complaint",
    }
    if rule is not None:
        initial = {
            "name": rule.name,
            "keywords": rule.keywords,
            "match_products": rule.match_products,
            "action": rule.action,
            "queue": rule.queue_id,
            "category": rule.category,
            "assignee": rule.assignee_id,
            "position": rule.position,
            "is_active": rule.is_active,
        }
    form = KeywordRuleForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.keyword_rule_save(
                actor=request.user, rule=rule, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("service:social_rule_list")
    return render(
        request,
        "service/social_rule_form.html",
        {"form": form, "rule": rule},
        status=422 if form.errors else 200,
    )


@require_POST
@role_required(Permission.MANAGE)
def social_rule_delete(request, pk: int):
    rule = get_object_or_404(KeywordRule, pk=pk)
    services.keyword_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("%(name)s was deleted.") % {"name": rule.name})
    return redirect("service:social_rule_list")
