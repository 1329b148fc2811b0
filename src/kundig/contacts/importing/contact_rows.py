"""Rows of a contacts file: matching by external ID or email, merging into contacts."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from .. import services
from ..choices import ChangeSource, Source
from ..models import Contact, ContactEmail
from ..selectors import companies_visible_to, contacts_visible_to
from .cells import EMAIL_SPLIT, LIST_SPLIT, collapse, phone_key, phone_kind
from .choices import ImportEntity
from .reading import SourceRow
from .rows import CREATED, UNCHANGED, UPDATED, RowImporter

CONTACT_SCALARS = (
    "salutation",
    "title",
    "first_name",
    "last_name",
    "form_of_address",
    "language",
    "birthday",
    "lifecycle_stage",
    "source",
    "owner",
    "team",
    "external_id",
)


class ContactRowImporter(RowImporter):
    entity = ImportEntity.CONTACT

    def prepare(self, rows: list[SourceRow]) -> None:
        converted = [self.convert(r) for r in rows if not r.is_empty]
        visible = contacts_visible_to(self.actor)
        external_ids = {v["external_id"] for v in converted if v.get("external_id")}
        emails = {e for v in converted for e in self._row_emails(v)}
        names = {collapse(v["company"]).lower() for v in converted if v.get("company")}
        self.by_external_id: dict[str, int] = {}
        self.by_email: dict[str, set[int]] = defaultdict(set)
        self.external_id_of: dict[int, str] = {}
        self.company_by_name: dict[str, set[int]] = defaultdict(set)
        if external_ids:
            self.by_external_id = dict(
                visible.filter(external_id__in=external_ids).values_list(
                    "external_id", "pk"
                )
            )
        if emails:
            for email, pk, external_id in ContactEmail.objects.filter(
                email__in=emails, contact__in=visible.values("pk")
            ).values_list("email", "contact_id", "contact__external_id"):
                self.by_email[email].add(pk)
                self.external_id_of[pk] = external_id or ""
        if names:
            for name, pk in (
                companies_visible_to(self.actor)
                .annotate(lname=Lower("name"))
                .filter(lname__in=names)
                .values_list("lname", "pk")
            ):
                self.company_by_name[name].add(pk)

    def _row_emails(self, values: dict[str, str]) -> list[str]:
        found = []
        for key in ("email", "other_emails"):
            for email in EMAIL_SPLIT.split(values.get(key, "")):
                email = email.strip().lower()
                if email and email not in found:
                    found.append(email)
        return found

    def _match(self, values: dict[str, str]) -> Contact | None:
        if values.get("id"):
            contact = (
                contacts_visible_to(self.actor)
                .filter(
                    pk=int(values["id"])
                    if values["id"].isascii() and values["id"].isdigit()
                    else None
                )
                .first()
            )
            if contact is None:
                raise ValidationError(
                    {
                        "id": _("You have no contact with the ID %(id)s.")
                        % {"id": values["id"]}
                    }
                )
            return contact
        external_id = values.get("external_id", "")
        if external_id and external_id in self.by_external_id:
            return Contact(pk=self.by_external_id[external_id])
        candidates = set()
        for email in self._row_emails(values):
            candidates |= self.by_email.get(email, set())
        if external_id:
            # A contact with another external ID is another person sharing
            # the address (a family mailbox, a shop's duplicate account).
            candidates = {
                pk
                for pk in candidates
                if self.external_id_of.get(pk, "") in ("", external_id)
            }
        if len(candidates) > 1:
            raise ValidationError(
                {
                    "email": _(
                        "%(n)d of your contacts have this email address, so the row "
                        "was not imported to avoid changing the wrong one. Merge them "
                        "or add an external ID column."
                    )
                    % {"n": len(candidates)}
                }
            )
        return Contact(pk=candidates.pop()) if candidates else None

    def _apply(self, values: dict[str, str]) -> tuple[str, int]:
        match = self._match(values)
        if match is None:
            contact = self._create(values)
            action = CREATED
        else:
            contact, changed = self._update(match.pk, values)
            action = UPDATED if changed else UNCHANGED
        emails = self._row_emails(values)
        external_id = values.get("external_id", "")

        def remember():
            for email in emails:
                self.by_email[email].add(contact.pk)
            if external_id:
                self.by_external_id[external_id] = contact.pk
            self.external_id_of[contact.pk] = contact.external_id or ""

        self._after_success(remember)
        return action, contact.pk

    def _emails(self, values) -> list[services.EmailData]:
        result = []
        primary = values.get("email", "").strip()
        if primary:
            result.append(services.EmailData(primary, is_primary=True))
        for email in EMAIL_SPLIT.split(values.get("other_emails", "")):
            if email.strip() and email.strip().lower() != primary.lower():
                result.append(services.EmailData(email.strip()))
        return result

    def _phones(self, values) -> list[services.PhoneData]:
        result = []
        primary = values.get("phone", "").strip()
        if primary:
            result.append(
                services.PhoneData(primary, kind=phone_kind(primary), is_primary=True)
            )
        for number in LIST_SPLIT.split(values.get("other_phones", "")):
            number = number.strip()
            if number and phone_key(number) != phone_key(primary):
                result.append(services.PhoneData(number, kind=phone_kind(number)))
        return result

    def _company_id(self, values) -> int | None:
        """Return the company named in the row, creating it if the user has none."""
        name = collapse(values.get("company", ""))
        if not name:
            return None
        found = self.company_by_name.get(name.lower(), set())
        if len(found) > 1:
            raise ValidationError(
                {
                    "company": _(
                        "%(n)d of your companies are called %(name)s; link the "
                        "contact to the right one by hand."
                    )
                    % {"n": len(found), "name": name}
                }
            )
        if found:
            return next(iter(found))
        fields = {"name": name, **self._scalars(values, ("owner", "team"))}
        try:
            company = services.company_create(actor=self.actor, fields=fields)
        except ValidationError as exc:
            raise ValidationError(
                {"company": [m for ms in exc.message_dict.values() for m in ms]}
                if hasattr(exc, "error_dict")
                else {"company": exc.messages}
            ) from None
        self._after_success(lambda: self.company_by_name[name.lower()].add(company.pk))
        return company.pk

    def _create(self, values) -> Contact:
        fields = self._scalars(values, CONTACT_SCALARS)
        if "source" not in self.columns:
            fields["source"] = Source.IMPORT
        company_id = self._company_id(values)
        if values.get("company_role") and company_id is None:
            raise ValidationError(
                {"company_role": _("A role needs a company in the same row.")}
            )
        companies = (
            [
                services.CompanyLinkData(
                    company_id, values.get("company_role", ""), is_primary=True
                )
            ]
            if company_id
            else []
        )
        address = self._address(values)
        return services.contact_create(
            actor=self.actor,
            fields=fields,
            emails=self._emails(values),
            phones=self._phones(values),
            addresses=[address] if address else [],
            companies=companies,
            tags=self._tags(values),
            custom=self._custom(values),
            source=ChangeSource.IMPORT,
        )

    def _update(self, pk: int, values) -> tuple[Contact, bool]:
        contact = Contact.objects.prefetch_related(
            "emails", "phones", "addresses", "tags"
        ).get(pk=pk)
        before = services.contact_snapshot(contact)
        custom = self._custom(values)
        updated = services.contact_update(
            actor=self.actor,
            contact=contact,
            fields=self._scalars(values, CONTACT_SCALARS),
            emails=self._merged_emails(contact, values),
            phones=self._merged_phones(contact, values),
            addresses=self._merged_addresses(contact, values),
            companies=self._merged_links(contact, values),
            tags=self._merged_tags(contact, values),
            custom=custom or None,
            source=ChangeSource.IMPORT,
        )
        return updated, services.contact_snapshot(updated) != before

    def _merged_emails(self, contact, values) -> list[services.EmailData] | None:
        have = [
            services.EmailData(e.email, e.kind, e.is_primary)
            for e in contact.emails.all()
        ]
        merged = [services.EmailData(e.email, e.kind, e.is_primary) for e in have]
        new = self._emails(values)
        for item in new:
            existing = next(
                (m for m in merged if m.email.lower() == item.email.lower()), None
            )
            if existing is None:
                existing = services.EmailData(item.email, item.kind)
                # A new main address goes first so its errors name the right column.
                if item.is_primary:
                    merged.insert(0, existing)
                else:
                    merged.append(existing)
            if item.is_primary:
                for m in merged:
                    m.is_primary = m is existing
        return merged if merged != have else None

    def _merged_phones(self, contact, values) -> list[services.PhoneData] | None:
        have = [
            services.PhoneData(p.number, p.kind, p.is_primary)
            for p in contact.phones.all()
        ]
        merged = [services.PhoneData(p.number, p.kind, p.is_primary) for p in have]
        for item in self._phones(values):
            key = phone_key(item.number)
            existing = next((m for m in merged if m.number == key), None)
            if existing is None:
                existing = services.PhoneData(item.number, item.kind)
                if item.is_primary:
                    merged.insert(0, existing)
                else:
                    merged.append(existing)
            if item.is_primary:
                for m in merged:
                    m.is_primary = m is existing
        return merged if merged != have else None

    def _merged_links(self, contact, values) -> list[services.CompanyLinkData] | None:
        role = values.get("company_role", "")
        company_id = self._company_id(values)
        if company_id is None and not role:
            return None
        links = list(contact.company_links.all())
        have = [
            services.CompanyLinkData(link.company_id, link.role, link.is_primary)
            for link in links
        ]
        merged = [
            services.CompanyLinkData(link.company_id, link.role, link.is_primary)
            for link in links
        ]
        if company_id is None:
            main = next(
                (m for m in merged if m.is_primary), merged[0] if merged else None
            )
            if main is None:
                raise ValidationError(
                    {"company_role": _("A role needs a company in the same row.")}
                )
            main.role = role
        else:
            link = next((m for m in merged if m.company_id == company_id), None)
            if link is None:
                link = services.CompanyLinkData(company_id)
                merged.append(link)
            if role:
                link.role = role
            for m in merged:
                m.is_primary = m is link
        if merged == have:
            return None
        ids = {m.company_id for m in merged}
        visible = set(
            companies_visible_to(self.actor)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if ids - visible:
            raise ValidationError(
                {
                    "company": _(
                        "This contact is also linked to companies you cannot see; "
                        "change its companies by hand."
                    )
                }
            )
        return merged
