"""Rows of a companies file: matching by external ID, VAT ID or name."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from .. import services
from ..models import Company
from ..selectors import companies_visible_to
from ..validation import normalize_vat_id
from .cells import collapse
from .choices import ImportEntity
from .reading import SourceRow
from .rows import CREATED, UNCHANGED, UPDATED, RowImporter

COMPANY_SCALARS = (
    "name",
    "legal_form",
    "vat_id",
    "industry",
    "size",
    "website",
    "email",
    "phone",
    "owner",
    "team",
    "external_id",
)


class CompanyRowImporter(RowImporter):
    entity = ImportEntity.COMPANY

    def prepare(self, rows: list[SourceRow]) -> None:
        converted = [self.convert(r) for r in rows if not r.is_empty]
        external_ids = {v["external_id"] for v in converted if v.get("external_id")}
        vat_ids = {self._vat(v) for v in converted} - {""}
        names = {collapse(v["name"]).lower() for v in converted if v.get("name")}
        self.by_external_id: dict[str, int] = {}
        self.by_vat: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.keys_of: dict[int, tuple[str, str]] = {}
        if not (external_ids or vat_ids or names):
            return
        for pk, external_id, vat_id, lname in (
            companies_visible_to(self.actor)
            .annotate(lname=Lower("name"))
            .filter(
                Q(external_id__in=external_ids)
                | Q(vat_id__in=vat_ids)
                | Q(lname__in=names)
            )
            .values_list("pk", "external_id", "vat_id", "lname")
        ):
            self._index(pk, external_id or "", vat_id, lname)

    def _index(self, pk: int, external_id: str, vat_id: str, lname: str) -> None:
        if external_id:
            self.by_external_id[external_id] = pk
        if vat_id:
            self.by_vat[vat_id].add(pk)
        self.by_name[lname].add(pk)
        self.keys_of[pk] = (external_id, vat_id)

    def _vat(self, values) -> str:
        try:
            return normalize_vat_id(values.get("vat_id", ""))
        except ValueError:
            return ""

    def _match(self, values: dict[str, str]) -> int | None:
        if values.get("id"):
            pk = (
                companies_visible_to(self.actor)
                .filter(
                    pk=int(values["id"])
                    if values["id"].isascii() and values["id"].isdigit()
                    else None
                )
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                raise ValidationError(
                    {
                        "id": _("You have no company with the ID %(id)s.")
                        % {"id": values["id"]}
                    }
                )
            return pk
        external_id = values.get("external_id", "")
        if external_id and external_id in self.by_external_id:
            return self.by_external_id[external_id]
        vat_id = self._vat(values)

        def compatible(pk: int, *, check_vat: bool) -> bool:
            their_external_id, their_vat = self.keys_of.get(pk, ("", ""))
            if external_id and their_external_id not in ("", external_id):
                return False
            return not (check_vat and vat_id and their_vat not in ("", vat_id))

        for candidates, key, check_vat in (
            (self.by_vat.get(vat_id, set()) if vat_id else set(), "vat_id", False),
            (
                self.by_name.get(collapse(values.get("name", "")).lower(), set()),
                "name",
                True,
            ),
        ):
            candidates = {
                pk for pk in candidates if compatible(pk, check_vat=check_vat)
            }
            if len(candidates) > 1:
                raise ValidationError(
                    {
                        key: _(
                            "%(n)d of your companies match this row, so it was not "
                            "imported to avoid changing the wrong one. Merge them or "
                            "add an external ID column."
                        )
                        % {"n": len(candidates)}
                    }
                )
            if candidates:
                return candidates.pop()
        return None

    def _apply(self, values: dict[str, str]) -> tuple[str, int]:
        pk = self._match(values)
        fields = self._scalars(values, COMPANY_SCALARS)
        custom = self._custom(values)
        if pk is None:
            address = self._address(values)
            company = services.company_create(
                actor=self.actor,
                fields=fields,
                addresses=[address] if address else [],
                tags=self._tags(values),
                custom=custom,
            )
            action = CREATED
        else:
            current = Company.objects.prefetch_related("addresses", "tags").get(pk=pk)
            before = services.company_snapshot(current)
            company = services.company_update(
                actor=self.actor,
                company=current,
                fields=fields,
                addresses=self._merged_addresses(current, values),
                tags=self._merged_tags(current, values),
                custom=custom or None,
            )
            changed = services.company_snapshot(company) != before
            action = UPDATED if changed else UNCHANGED
        self._after_success(
            lambda: self._index(
                company.pk,
                company.external_id or "",
                company.vat_id,
                company.name.lower(),
            )
        )
        return action, company.pk
