"""What the service desk's pages share."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def add_errors(form, exc: ValidationError, names: dict | None = None) -> None:
    """Put a service's errors on the form's fields (``names``: service → form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        field = (names or {}).get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def posted(request):
    """The form data of a POST (even an empty one), None otherwise."""
    return request.POST if request.method == "POST" else None
