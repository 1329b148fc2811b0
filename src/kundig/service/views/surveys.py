"""The public survey page a customer's mail links to (no login)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import services
from ..choices import SURVEY_SCALES, SurveyKind


def _language(contact) -> str:
    if contact is not None and contact.language in dict(settings.LANGUAGES):
        return contact.language
    return settings.LANGUAGE_CODE


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    """GET shows the question (a link's ``?score=`` chosen); POST records the
    answer. Only the POST counts, so a mail scanner opening links rates nothing."""
    found = services.survey_by_token(token)
    language = _language(found.contact if found else None)
    with translation.override(language):
        if found is None:
            return render(
                request,
                "service/survey.html",
                {"missing": True, "language": language},
                status=404,
            )
        errors: dict = {}
        chosen = request.POST.get("score") or request.GET.get("score", "")
        comment = request.POST.get("comment", "")
        if request.method == "POST":
            try:
                found = services.survey_answer(
                    token=token, score=chosen, comment=comment
                )
            except ValidationError as exc:
                errors = (
                    exc.message_dict
                    if hasattr(exc, "error_dict")
                    else {"all": exc.messages}
                )
        closed = found.answered_at is None and not found.is_open
        return render(
            request,
            "service/survey.html",
            {
                "survey": found,
                "scale": list(SURVEY_SCALES[found.kind]),
                "is_nps": found.kind == SurveyKind.NPS,
                "chosen": str(chosen),
                "comment": comment,
                "errors": errors,
                "closed": closed,
                "language": language,
            },
            status=422 if errors else 200,
        )
