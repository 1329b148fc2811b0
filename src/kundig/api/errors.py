"""JSON errors of the API: one shape, ``{"code", "message", "fields"}``, for every 4xx.

Each exception the endpoints, services and ninja raise is turned into that
shape here, so a client never sees an HTML page or a 500 for bad input.
"""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("django.request")

CODES = {
    400: "validation_error",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}

# The names pydantic puts into an error's location for the member of a union
# that failed ("owner" -> ("owner", "int")); they are not field names.
_UNION_TAGS = {"int", "str", "float", "bool", "none", "date", "datetime", "list"}


class Error(Schema):
    """What every failed request answers."""

    code: str
    message: str
    fields: dict[str, list[str]] = {}


def error_response(
    api, request: HttpRequest, status: int, message: str, fields=None, *, code=None
) -> HttpResponse:
    body = {
        "code": code or CODES.get(status, "error"),
        "message": str(message),
        "fields": fields or {},
    }
    return api.create_response(request, body, status=status)


def _field_name(loc: tuple) -> str:
    """Return ``emails.1.email`` for the pydantic location of an error.

    The location is ``("body", "payload", "emails", 1, "email")``: where the
    value came from, the endpoint's parameter, then the path inside it.
    """
    source, *rest = loc or ("body",)
    if source == "body" and rest:
        rest = rest[1:]  # the name of the endpoint's body parameter
    parts = [
        str(part)
        for part in rest
        if not (
            isinstance(part, str)
            and (part in _UNION_TAGS or "[" in part or part.startswith("function-"))
        )
    ]
    return ".".join(parts) or str(source)


def fields_from_pydantic(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = _field_name(tuple(error.get("loc", ())))
        message = (
            _("Unknown field.")
            if error.get("type") == "extra_forbidden"
            else error.get("msg", "")
        )
        messages = fields.setdefault(name, [])
        if message not in messages:
            messages.append(message)
    return fields


def fields_from_django(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def _first_message(fields: dict[str, list[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            label = "" if name == "__all__" else f"{name}: "
            return f"{label}{messages[0]}"
    return _("The request is not valid.")


def register_error_handlers(api) -> None:
    """Answer every expected failure with the JSON error shape."""

    def on_schema_error(request, exc: NinjaValidationError):
        fields = fields_from_pydantic(exc.errors)
        return error_response(api, request, 400, _first_message(fields), fields)

    def on_validation_error(request, exc: DjangoValidationError):
        fields = fields_from_django(exc)
        return error_response(api, request, 400, _first_message(fields), fields)

    def on_permission_denied(request, exc: PermissionDenied):
        message = str(exc) or _("Your role does not allow this.")
        return error_response(api, request, 403, message)

    def on_not_found(request, exc: Http404):
        return error_response(api, request, 404, _("Not found."))

    def on_unauthenticated(request, exc: AuthenticationError):
        response = error_response(
            api,
            request,
            401,
            _("Send a valid API token: Authorization: Bearer kdg_…"),
        )
        response["WWW-Authenticate"] = 'Bearer realm="kundig"'
        return response

    def on_http_error(request, exc: HttpError):
        fields = None
        message = str(exc)
        # ninja reports a body it cannot parse as HttpError(400, "Cannot parse
        # request body"); it is a validation error of the body like any other.
        if exc.status_code == 400 and "parse request body" in message:
            message = _("The request body is not valid JSON.")
            fields = {"body": [message]}
        return error_response(api, request, exc.status_code, message, fields)

    def on_too_big(request, exc: RequestDataTooBig):
        return error_response(api, request, 413, _("The request body is too large."))

    def on_unexpected(request, exc: Exception):
        # Logged like Django logs an unhandled error, so error mails and
        # log aggregation still see it; the client gets JSON, not a page.
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return error_response(
            api,
            request,
            500,
            _("Something went wrong on our side; it has been logged."),
            code="server_error",
        )

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(NinjaValidationError, on_schema_error)
    api.add_exception_handler(DjangoValidationError, on_validation_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RequestDataTooBig, on_too_big)


def json_method_not_allowed(view, api):
    """Wrap a ninja view so that a wrong method gets the JSON error, not plain text."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                api,
                request,
                405,
                _("Use one of these methods here: %(methods)s.") % {"methods": allowed},
            )
            response["Allow"] = allowed
        return response

    return wrapper
