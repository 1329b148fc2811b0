from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    READ_ONLY = "read_only", _("Read-only")


class Visibility(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team's records")
    ALL = "all", _("All records")


# What a role sees when the user has no visibility of their own set.
ROLE_DEFAULT_VISIBILITY = {
    Role.ADMIN: Visibility.ALL,
    Role.MANAGER: Visibility.TEAM,
    Role.SALES: Visibility.TEAM,
    Role.SERVICE: Visibility.ALL,
    Role.MARKETING: Visibility.ALL,
    Role.READ_ONLY: Visibility.TEAM,
}


class Permission(models.TextChoices):
    """What a role may do, beyond seeing the records its visibility allows."""

    WRITE = "write", _("Create and edit records")
    DELETE = "delete", _("Delete records")
    BULK_EDIT = "bulk_edit", _("Tag and assign in bulk")
    EXPORT = "export", _("Export lists")
    IMPORT = "import", _("Import files")
    MANAGE = "manage", _("Manage users, teams and fields")
    MESSAGING = "messaging", _("Write message templates and playbooks")
    SERVICE_DESK = "service_desk", _("Work on tickets")


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Permission.values),
    Role.MANAGER: frozenset(
        {
            Permission.WRITE,
            Permission.DELETE,
            Permission.BULK_EDIT,
            Permission.EXPORT,
            Permission.IMPORT,
            Permission.SERVICE_DESK,
        }
    ),
    Role.SALES: frozenset(
        {
            Permission.WRITE,
            Permission.BULK_EDIT,
            Permission.EXPORT,
            Permission.SERVICE_DESK,
        }
    ),
    Role.SERVICE: frozenset(
        {Permission.WRITE, Permission.EXPORT, Permission.SERVICE_DESK}
    ),
    Role.MARKETING: frozenset(
        {
            Permission.WRITE,
            Permission.BULK_EDIT,
            Permission.EXPORT,
            Permission.IMPORT,
            Permission.MESSAGING,
        }
    ),
    Role.READ_ONLY: frozenset(),
}


class Language(models.TextChoices):
    GERMAN = "de", _("German")
    ENGLISH = "en", _("English")


class CustomFieldEntity(models.TextChoices):
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")


class EmailState(models.TextChoices):
    NONE = "", _("no email")
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


JOB_ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
