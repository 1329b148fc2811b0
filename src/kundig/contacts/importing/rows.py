"""Turn one row of a file into calls of the contact and company services.

The preview, the dry run and the import all call :meth:`RowImporter.apply`,
and it validates only by calling the services: there is no second validator
that could disagree with them. A row runs in its own savepoint, so a row
that fails leaves nothing behind (no company created for a contact that
then failed).

How rows find existing records and how they are merged into them is
decided in ``docs/adr/0011-import-matching-and-merge.md``. In short:

* only records the importing user may see are candidates;
* contacts match on the Kundig ID (if that column is mapped), the external
  ID, then any email address; companies on the Kundig ID, the external ID,
  the VAT ID, then the exact name; a candidate with a different external
  ID (or, for a name match, VAT ID) is a different record;
* several candidates make the row fail as ambiguous;
* an update changes only what the row has a value for; empty cells never
  erase anything, and lists (emails, phones, tags, companies) only grow.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import services
from .cells import (
    ADDRESS_CORE,
    ADDRESS_PARTS,
    CHOICE_FIELDS,
    LIST_SPLIT,
    SALUTATIONS,
    choice_lookup,
    collapse,
    country_code,
    street_of,
)
from .choices import ImportEntity
from .mapping import CUSTOM_PREFIX, normalize_header, targets_for
from .reading import SourceRow

logger = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED, FAILED, SKIPPED = (
    "created",
    "updated",
    "unchanged",
    "failed",
    "skipped",
)


@dataclass
class RowOutcome:
    number: int
    action: str
    record_id: int | None = None
    errors: list[tuple[int | None, str, str]] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.action == FAILED

    def error_pairs(self) -> list[list[str]]:
        return [[label, message] for _index, label, message in self.errors]

    def errors_by_column(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        for index, _label, message in self.errors:
            if index is not None:
                found[index].append(message)
        return found


class RowImporter:
    """Apply rows of one file, with one mapping, as one user."""

    entity: str = ""

    def __init__(self, *, actor, headers: list[str], mapping: list[str]) -> None:
        self.actor = actor
        self.headers = headers
        self.targets = {t.key: t for t in targets_for(self.entity, user=actor)}
        self.columns = {key: i for i, key in enumerate(mapping) if key in self.targets}
        self._lookups = {
            key: choice_lookup(key) for key in CHOICE_FIELDS if key in self.columns
        }
        self._pending: list = []

    # --- converting cells -------------------------------------------------------------

    def convert(self, row: SourceRow) -> dict[str, str]:
        """Return the mapped cells as the services will get them (empty: no value)."""
        values: dict[str, str] = {}
        for key, index in self.columns.items():
            text = row.cells[index].strip() if index < len(row.cells) else ""
            if text and key in self._lookups:
                text = self._lookups[key].get(normalize_header(text), text)
            elif text and key == "salutation":
                text = SALUTATIONS.get(text.lower().rstrip("."), text)
            elif text and key == "country":
                text = country_code(text)
            values[key] = text
        postcode = values.get("postcode", "")
        if (
            postcode.isdigit()
            and len(postcode) == 4
            and values.get("country", "DE").upper() in ("", "DE")
        ):
            # Excel drops the leading zero of 01067 when it thinks it is a number.
            values["postcode"] = "0" + postcode
        return values

    # --- applying ---------------------------------------------------------------------

    def prepare(self, rows: list[SourceRow]) -> None:
        """Look up, in bulk, the records the rows of a chunk may match."""

    def apply(self, row: SourceRow) -> RowOutcome:
        """Import one row in its own savepoint; return what happened."""
        if row.is_empty:
            return RowOutcome(row.number, SKIPPED)
        values = self.convert(row)
        outcome = RowOutcome(row.number, FAILED, values=values)
        self._pending = []
        try:
            if row.extra:
                raise ValidationError(
                    _(
                        "The row has more cells than there are columns (%(cells)s); "
                        "check the delimiter and the quotes."
                    )
                    % {"cells": ", ".join(row.extra[:5])}
                )
            with transaction.atomic():
                outcome.action, outcome.record_id = self._apply(values)
        except ValidationError as exc:
            outcome.action = FAILED
            outcome.errors = self._errors(exc)
        except PermissionDenied as exc:
            outcome.action = FAILED
            outcome.errors = [
                (None, "", str(exc) or _("Your role does not allow this."))
            ]
        except Exception:
            logger.exception("Import row %s failed unexpectedly", row.number)
            outcome.action = FAILED
            outcome.errors = [
                (None, "", _("Unexpected error; the row was not imported."))
            ]
        else:
            for remember in self._pending:
                remember()
        self._pending = []
        return outcome

    def _apply(self, values: dict[str, str]) -> tuple[str, int]:
        raise NotImplementedError

    def _after_success(self, func) -> None:
        self._pending.append(func)

    # --- errors -----------------------------------------------------------------------

    def _target_of(self, name: str) -> str:
        parts = name.split(".")
        if name in self.targets or name in self.columns:
            return name
        if name.startswith(CUSTOM_PREFIX):
            return name
        if parts[0] == "emails":
            return "other_emails" if parts[1:2] != ["0"] else "email"
        if parts[0] == "phones":
            return "other_phones" if parts[1:2] != ["0"] else "phone"
        if parts[0] == "addresses" and len(parts) == 3:
            return parts[2]
        if parts[0] == "companies":
            return "company_role" if parts[-1] == "role" else "company"
        return "" if name == "__all__" else name

    def _errors(self, exc: ValidationError) -> list[tuple[int | None, str, str]]:
        result = []
        items = (
            exc.message_dict.items()
            if hasattr(exc, "error_dict")
            else [("__all__", exc.messages)]
        )
        for name, messages in items:
            target = self._target_of(name)
            index = self.columns.get(target)
            if index is not None:
                label = self.headers[index]
            elif target in self.targets:
                label = str(self.targets[target].label)
            else:
                label = target
            if target == "other_emails" and "other_emails" not in self.columns:
                index, label = self.columns.get("email"), self._label("email")
            if target == "other_phones" and "other_phones" not in self.columns:
                index, label = self.columns.get("phone"), self._label("phone")
            for message in messages:
                result.append((index, label, str(message)))
        return result

    def _label(self, key: str) -> str:
        index = self.columns.get(key)
        if index is not None:
            return self.headers[index]
        target = self.targets.get(key)
        return str(target.label) if target else key

    # --- shared pieces ----------------------------------------------------------------

    def _scalars(self, values: dict[str, str], names) -> dict[str, str]:
        return {n: values[n] for n in names if values.get(n)}

    def _custom(self, values: dict[str, str]) -> dict[str, str]:
        return {
            key[len(CUSTOM_PREFIX) :]: value
            for key, value in values.items()
            if key.startswith(CUSTOM_PREFIX) and value
        }

    def _tags(self, values: dict[str, str]) -> list[str]:
        return [
            t.strip() for t in LIST_SPLIT.split(values.get("tags", "")) if t.strip()
        ]

    def _merged_tags(self, record, values) -> list[str] | None:
        new = self._tags(values)
        have = [t.name for t in record.tags.all()]
        known = {t.lower() for t in have}
        added = [t for t in new if collapse(t).lower() not in known]
        return [*have, *added] if added else None

    def _address(self, values: dict[str, str]) -> services.AddressData | None:
        if not any(values.get(part) for part in ADDRESS_CORE):
            return None
        return services.AddressData(
            street=street_of(values),
            postcode=values.get("postcode", ""),
            city=values.get("city", ""),
            country=values.get("country") or "DE",
            extra=values.get("extra", ""),
        )

    def _merged_addresses(self, record, values) -> list[services.AddressData] | None:
        """Put the row's address parts into the record's billing address."""
        if not any(values.get(part) for part in ADDRESS_PARTS):
            return None
        addresses = list(record.addresses.all())
        data = [
            services.AddressData(
                street=a.street,
                postcode=a.postcode,
                city=a.city,
                country=a.country.code if a.country else "DE",
                kind=a.kind,
                extra=a.extra,
                recipient=a.recipient,
            )
            for a in addresses
        ]
        target = next(
            (i for i, a in enumerate(addresses) if a.kind == "billing"),
            0 if addresses else None,
        )
        if target is None:
            address = self._address(values)
            return [address] if address else None
        current = data[target]
        before = (
            current.street,
            current.postcode,
            current.city,
            current.country,
            current.extra,
        )
        if values.get("street"):
            current.street = street_of(values)
        for part in ("postcode", "city", "country", "extra"):
            if values.get(part):
                setattr(current, part, values[part])
        after = (
            current.street,
            current.postcode,
            current.city,
            current.country,
            current.extra,
        )
        return data if after != before else None


def importer_for(entity: str, *, actor, headers, mapping) -> RowImporter:
    """Return the row importer for ``entity`` (contacts or companies)."""
    from .company_rows import CompanyRowImporter
    from .contact_rows import ContactRowImporter

    cls = ContactRowImporter if entity == ImportEntity.CONTACT else CompanyRowImporter
    return cls(actor=actor, headers=headers, mapping=mapping)
