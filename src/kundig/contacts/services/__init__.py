"""Writes of contacts and companies. Every entry point (forms, API, import) calls these.

Each service validates everything first and raises one ``ValidationError``
whose keys name the fields (``email``, ``phones.1.number``, ``custom.vip``),
then writes in one transaction: the record, its emails, phones, addresses,
company links, tags, the audit entries, lifecycle history and domain events.
"""

from kundig.core.customfields import definitions_for

from .bulk import (
    companies_bulk_assign,
    companies_bulk_tag,
    contacts_bulk_assign,
    contacts_bulk_tag,
)
from .companies import company_create, company_delete, company_update
from .contacts import (
    contact_create,
    contact_delete,
    contact_set_stage,
    contact_update,
    email_lock,
    names_from_display,
)
from .figures import contact_figures_set
from .inputs import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    AddressData,
    CompanyLinkData,
    EmailData,
    PhoneData,
    _Errors,
)
from .many import (
    Created,
    Figures,
    NewPerson,
    contact_figures_set_many,
    contacts_create_many,
    contacts_set_stage_many,
    person_errors,
)
from .records import (
    company_search_key,
    company_snapshot,
    contact_search_key,
    contact_snapshot,
)

# The collector of messages per field, for other apps' services.
FieldErrors = _Errors

__all__ = [
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "AddressData",
    "CompanyLinkData",
    "Created",
    "EmailData",
    "FieldErrors",
    "Figures",
    "NewPerson",
    "PhoneData",
    "companies_bulk_assign",
    "companies_bulk_tag",
    "company_create",
    "company_delete",
    "company_search_key",
    "company_snapshot",
    "company_update",
    "contact_create",
    "contact_delete",
    "contact_figures_set",
    "contact_figures_set_many",
    "contact_search_key",
    "contact_set_stage",
    "contact_snapshot",
    "contact_update",
    "contacts_bulk_assign",
    "contacts_bulk_tag",
    "contacts_create_many",
    "contacts_set_stage_many",
    "custom_definitions",
    "email_lock",
    "names_from_display",
    "person_errors",
]


def custom_definitions(entity: str, *, user=None):
    """Return the active custom fields of ``entity`` that ``user`` may see."""
    return definitions_for(entity, user=user)
