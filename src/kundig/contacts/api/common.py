"""API plumbing shared by every app's router (``activity.api`` uses it too).

References to users, teams and records, cursor pagination, list-filter
checks and the base schemas. It lives in the contacts app rather than in
``kundig.api`` because app routers sit below ``kundig.api`` in the import
layers, and contacts is the lowest app with an API.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

PageSize = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=(
            f"Records per page, 1 to {MAX_PAGE_SIZE}; a larger value is refused "
            f"with 400."
        ),
    ),
]
# Ids beyond the database's 64-bit range are refused before they reach a query.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]
CursorParam = Annotated[
    str | None,
    Field(
        description=(
            "The `next` value of the previous page; leave it out for the first page."
        )
    ),
]


def _id_or_text(message):
    def check(value):
        if value is None or (
            isinstance(value, int | str) and not isinstance(value, bool)
        ):
            return value
        raise PydanticCustomError("id_or_text", str(message))

    return PlainValidator(check)


_ID_OR_TEXT = {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
UserKey = Annotated[
    int | str | None,
    _id_or_text(gettext_lazy("Enter a user ID or email address.")),
    WithJsonSchema({**_ID_OR_TEXT, "description": "A user's id or email address."}),
]
TeamKey = Annotated[
    int | str | None,
    _id_or_text(gettext_lazy("Enter a team ID or name.")),
    WithJsonSchema({**_ID_OR_TEXT, "description": "A team's id or name."}),
]
Moment = Annotated[
    datetime,
    AfterValidator(lambda value: value.astimezone(UTC) if value.tzinfo else value),
]


def _refuse_null_characters(value):
    # PostgreSQL cannot store NUL in text; refuse it as bad input, not a 500.
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError(
            "null_character", _("Null characters are not allowed.")
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_null_characters(key)
            _refuse_null_characters(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_null_characters(item)
    return value


class Params(Schema):
    """Base of query parameter schemas."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_null_characters(cls, value):
        return _refuse_null_characters(value)


class Input(Params):
    """Base of request bodies: an unknown field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class UserOut(Schema):
    id: int
    email: str
    name: str


class TeamOut(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    display_name: str
    url: str | None


class CompanyRef(Schema):
    id: int
    name: str
    url: str | None


def web_url(record) -> str | None:
    """Return the web UI page of ``record``, or None while the UI has no such page."""
    try:
        return record.get_absolute_url()
    except NoReverseMatch:
        return None


def user_out(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": str(user)}


def team_out(team) -> dict | None:
    return None if team is None else {"id": team.pk, "name": team.name}


def contact_ref(contact) -> dict | None:
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "display_name": str(contact.display_name),
        "url": web_url(contact),
    }


def company_ref(company) -> dict | None:
    if company is None:
        return None
    return {"id": company.pk, "name": company.name, "url": web_url(company)}


def plain(value):
    """Return an enum member's value, anything else as it is."""
    return value.value if isinstance(value, enum.Enum) else value


def reject_unknown_params(request, allowed: Iterable[str]) -> None:
    """Refuse query parameters a list does not know: a typo is not ignored."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("Unknown parameter.")] for name in unknown})


def filter_or_400(filterset_class, request, queryset: QuerySet):
    """Return the bound filterset; invalid filter values are a 400 naming the filter."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(
            {name: list(messages) for name, messages in filterset.errors.items()}
        )
    return filterset


def encode_cursor(data) -> str:
    raw = json.dumps(data, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str):
    """Return what :func:`encode_cursor` packed; a 400 on ``cursor`` if not."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_cursor() from None


def bad_cursor() -> ValidationError:
    return ValidationError(
        {"cursor": [_("This cursor is not valid here; start again without one.")]}
    )


def _after(order: Sequence[str], values: Sequence) -> Q:
    """Return the rows that come after ``values`` in ``order`` (keyset pagination).

    ``a > x OR (a = x AND b > y)``, and in front of it ``a >= x``, which
    says nothing new but lets the database start reading the index on
    ``(a, b)`` at ``x``: without it, PostgreSQL read a million contacts to
    find the page after "weber johanna".
    """
    condition = Q(pk__in=[])
    for i, key in enumerate(order):
        name = key.lstrip("-")
        step = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
        for previous, value in zip(order[:i], values[:i], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        condition |= step
    first = order[0]
    start = Q(
        **{
            f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[
                0
            ]
        }
    )
    return start & condition


def _cursor_value(qs: QuerySet, name: str, value):
    """Turn a cursor value back into what ``name`` holds: a field or an annotation."""
    if name in qs.query.annotations:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(name)
        return value
    return qs.model._meta.get_field(name).to_python(value)


def keyset_page(
    qs: QuerySet, *, order: Sequence[str], cursor: str | None, size: int
) -> tuple[list, str | None]:
    """Return one page of ``qs`` in ``order`` and the cursor of the next page.

    ``order`` names non-null fields and ends with the primary key, so every
    row has one place: walking the pages never repeats or skips a record,
    even while records are added or removed.
    """
    tag = ",".join(order)
    if cursor:
        data = decode_cursor(cursor)
        if not isinstance(data, dict) or data.get("o") != tag:
            raise bad_cursor()
        values = data.get("v")
        if not isinstance(values, list) or len(values) != len(order):
            raise bad_cursor()
        try:
            _refuse_null_characters(values)
        except PydanticCustomError:
            raise bad_cursor() from None
        try:
            values = [
                _cursor_value(qs, key.lstrip("-"), value)
                for key, value in zip(order, values, strict=True)
            ]
        except (ValidationError, FieldDoesNotExist, TypeError):
            raise bad_cursor() from None
        qs = qs.filter(_after(order, values))
    rows = list(qs.order_by(*order)[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = [getattr(rows[-1], key.lstrip("-")) for key in order]
    return rows, encode_cursor(
        {"o": tag, "v": [v.isoformat() if isinstance(v, datetime) else v for v in last]}
    )


def remap_errors(exc: ValidationError, rename: Callable[[str], str]) -> ValidationError:
    """Return ``exc`` with its field names translated to the names the client sent."""
    if not hasattr(exc, "error_dict"):
        return exc
    fields: dict[str, list[str]] = {}
    for name, messages in exc.message_dict.items():
        fields.setdefault(rename(name), []).extend(messages)
    return ValidationError(fields)


def visible_custom(values: dict | None, definitions) -> dict[str, Any]:
    """Return the custom values whose field the viewer's role may see."""
    values = values or {}
    return {d.key: values[d.key] for d in definitions if d.key in values}


def visible_links(user, data: dict) -> dict:
    """Replace ``contact_id`` and ``company_id`` in ``data`` by the records.

    A record that does not exist or that ``user`` may not see is the same
    400 naming the field, so the answer does not tell whether it exists.
    """
    from .. import selectors

    errors: dict[str, list[str]] = {}
    for name, visible_to, missing in (
        ("contact", selectors.contacts_visible_to, _("There is no contact %(id)s.")),
        ("company", selectors.companies_visible_to, _("There is no company %(id)s.")),
    ):
        key = f"{name}_id"
        if key not in data:
            continue
        pk = data.pop(key)
        data[name] = None if pk is None else visible_to(user).filter(pk=pk).first()
        if pk is not None and data[name] is None:
            errors[key] = [missing % {"id": pk}]
    if errors:
        raise ValidationError(errors)
    return data
