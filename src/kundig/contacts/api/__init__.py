"""Contacts and companies in the JSON API; ``kundig.api`` mounts the routers."""

from .companies import companies_router
from .contacts import contacts_router

__all__ = ["companies_router", "contacts_router"]
