"""The public channels: the website chat (the loader a shop embeds, the chat
page in its frame, and the small JSON API the page talks to: token in the
body, no cookies, as a frame on another site gets none), and the contact form."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from kundig.core.http import client_address

from .. import services

MAX_BODY = 16_000


def _language(raw: str) -> str:
    return raw if raw in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _client(request) -> str:
    return client_address(request)


def _json(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise ValidationError({"body": ["The body is too large."]})
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": ["The body is not JSON."]}) from None
    if not isinstance(data, dict):
        raise ValidationError({"body": ["Send one JSON object."]})
    return {key: value if isinstance(value, str) else "" for key, value in data.items()}


def _refused(exc: ValidationError) -> JsonResponse:
    return JsonResponse({"fields": exc.message_dict}, status=422)


def _too_many() -> JsonResponse:
    return JsonResponse(
        {"error": translation.gettext("Too many messages. Please wait a moment.")},
        status=429,
        headers={"Retry-After": "60"},
    )


@require_GET
@cache_control(max_age=3600, public=True)
def chat_widget_js(request):
    """The loader: ``<script src="…/chat/widget.js" data-lang="de" async>``."""
    script = render_to_string(
        "service/chat/widget.js", {"base": request.build_absolute_uri("/")[:-1]}
    )
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")


@never_cache
@xframe_options_exempt  # it is made to sit in a frame on the shop's pages
@require_GET
def chat_page(request):
    language = _language(request.GET.get("lang", ""))
    with translation.override(language):
        return render(request, "service/chat/page.html", {"language": language})


@csrf_exempt
@require_POST
def chat_api_suggest(request):
    try:
        data = _json(request)
    except ValidationError as exc:
        return _refused(exc)
    language = _language(data.get("lang", ""))
    question = data.get("question", "")[:500]
    return JsonResponse(
        {"articles": services.chat_suggest(question=question, language=language)}
    )


@csrf_exempt
@require_POST
def chat_api_start(request):
    try:
        data = _json(request)
        language = _language(data.get("lang", ""))
        with translation.override(language):
            conversation, token = services.chat_start(
                name=data.get("name", ""),
                email=data.get("email", ""),
                message=data.get("message", ""),
                language=language,
                client=_client(request),
            )
    except ValidationError as exc:
        return _refused(exc)
    except services.TooMany:
        return _too_many()
    return JsonResponse(
        {
            "token": token,
            "messages": services.chat_messages(conversation=conversation),
        },
        status=201,
    )


@csrf_exempt
@require_POST
def chat_api_messages(request):
    """Post a message (``text``) or only read (no ``text``): the messages after
    ``after``. Without a valid ``token``, a 404."""
    try:
        data = _json(request)
    except ValidationError as exc:
        return _refused(exc)
    conversation = services.chat_get(data.get("token", ""))
    if conversation is None:
        return JsonResponse({"error": "No such chat."}, status=404)
    language = _language(data.get("lang", ""))
    if data.get("text"):
        try:
            with translation.override(language):
                services.chat_post(conversation=conversation, text=data["text"])
        except ValidationError as exc:
            return _refused(exc)
        except services.TooMany:
            with translation.override(language):
                return _too_many()
    after = data.get("after", "0")
    return JsonResponse(
        {
            "messages": services.chat_messages(
                conversation=conversation,
                after=int(after)
                if after.isascii() and after.isdigit() and len(after) < 19
                else 0,
            ),
            "status": conversation.ticket.status,
        }
    )


# --- The contact form -----------------------------------------------------------------


@never_cache
def contact_form(request):
    """The public contact form; a filled hidden field (bots) is thanked and dropped."""
    language = _language(request.GET.get("lang") or request.POST.get("lang", ""))
    data = request.POST if request.method == "POST" else None
    errors: dict = {}
    sent = False
    if data is not None:
        if data.get("website"):  # the honeypot: people never see it
            sent = True
        else:
            try:
                with translation.override(language):
                    services.web_form_send(
                        name=data.get("name", ""),
                        email=data.get("email", ""),
                        subject=data.get("subject", ""),
                        message=data.get("message", ""),
                        order_number=data.get("order", ""),
                        language=language,
                        client=_client(request),
                        key=data.get("key", ""),
                    )
            except ValidationError as exc:
                errors = exc.message_dict
            except services.TooMany:
                with translation.override(language):
                    errors = {
                        "all": [
                            translation.gettext("Too many requests. Please try later.")
                        ]
                    }
            else:
                sent = True
    with translation.override(language):
        return render(
            request,
            "service/contact_form.html",
            {
                "language": language,
                "sent": sent,
                "errors": errors,
                "data": data or {},
                "key": uuid.uuid4().hex,
            },
            status=422 if errors else 200,
        )
