"""Tag and assign many contacts or companies at once."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core import audit
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.models import Tag, User
from kundig.core.permissions import require
from kundig.core.services import tags_get_or_create

from ..models import (
    Company,
    Contact,
)
from .inputs import _Errors, _resolve_team, _resolve_user
from .records import _display

# --- Bulk actions ---------------------------------------------------------------------


def _bulk_tag(model, *, actor, records: QuerySet, add, remove) -> int:
    require(actor, Permission.BULK_EDIT)
    ids = list(records.values_list("pk", flat=True))
    if not ids:
        return 0
    through = model.tags.through
    fk = f"{model._meta.model_name}_id"
    changes = []
    for tag in tags_get_or_create(add):
        have = set(
            through.objects.filter(tag=tag, **{f"{fk}__in": ids}).values_list(
                fk, flat=True
            )
        )
        new_ids = [pk for pk in ids if pk not in have]
        through.objects.bulk_create(
            [through(tag=tag, **{fk: pk}) for pk in new_ids],
            batch_size=1000,
            ignore_conflicts=True,
        )
        changes += [(pk, "tags", "", f"+{tag.name}") for pk in new_ids]
    names = [n.strip() for n in remove if n and n.strip()]
    for tag in Tag.objects.filter(name__in=names):
        had = list(
            through.objects.filter(tag=tag, **{f"{fk}__in": ids}).values_list(
                fk, flat=True
            )
        )
        through.objects.filter(tag=tag, **{f"{fk}__in": had}).delete()
        changes += [(pk, "tags", f"-{tag.name}", "") for pk in had]
    audit.audit_bulk_changes(model._meta.label_lower, changes, actor=actor)
    model.objects.filter(pk__in={c[0] for c in changes}).update(
        updated_at=timezone.now()
    )
    return len(ids)


def _bulk_assign(model, *, actor, records: QuerySet, owner, team) -> int:
    require(actor, Permission.BULK_EDIT)
    errors = _Errors()
    new_owner = _resolve_user(owner, "owner", errors)
    new_team = _resolve_team(team, "team", errors)
    if owner in (None, "") and team in (None, ""):
        errors.add("owner", _("Choose an owner or a team."))
    errors.raise_if_any()
    if new_owner is not None and new_team is None:
        new_team = new_owner.team
    rows = list(records.select_related("owner", "team").only("pk", "owner", "team"))
    changes = []
    update: dict = {"updated_at": timezone.now()}
    if new_owner is not None:
        update["owner"] = new_owner
    if new_team is not None:
        update["team"] = new_team
    for row in rows:
        if new_owner is not None and row.owner_id != new_owner.pk:
            changes.append((row.pk, "owner", _display(row.owner), str(new_owner)))
        if new_team is not None and row.team_id != new_team.pk:
            changes.append((row.pk, "team", _display(row.team), str(new_team)))
    model.objects.filter(pk__in=[row.pk for row in rows]).update(**update)
    audit.audit_bulk_changes(model._meta.label_lower, changes, actor=actor)
    name = f"{model._meta.model_name}.updated"
    for pk in sorted({c[0] for c in changes}):
        emit(name, model(pk=pk), actor=actor, fields=["owner", "team"], source="bulk")
    return len(rows)


@transaction.atomic
def contacts_bulk_tag(
    *, actor: User | None, contacts: QuerySet, add=(), remove=()
) -> int:
    """Add and remove tags on many contacts; return how many were selected."""
    return _bulk_tag(Contact, actor=actor, records=contacts, add=add, remove=remove)


@transaction.atomic
def contacts_bulk_assign(
    *, actor: User | None, contacts: QuerySet, owner=None, team=None
) -> int:
    """Give many contacts a new owner (and the owner's team) or team at once."""
    return _bulk_assign(Contact, actor=actor, records=contacts, owner=owner, team=team)


@transaction.atomic
def companies_bulk_tag(
    *, actor: User | None, companies: QuerySet, add=(), remove=()
) -> int:
    return _bulk_tag(Company, actor=actor, records=companies, add=add, remove=remove)


@transaction.atomic
def companies_bulk_assign(
    *, actor: User | None, companies: QuerySet, owner=None, team=None
) -> int:
    return _bulk_assign(Company, actor=actor, records=companies, owner=owner, team=team)
