from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from kundig.core import crypto

from .choices import (
    TEMPLATE_LANGUAGES,
    Bounce,
    InboundKind,
    MessageStatus,
    Purpose,
    Security,
)

# Parallel SMTP connections a mailbox may use: enough for a relay of one's
# own, few enough that no provider takes it for an attack.
SMTP_CONNECTIONS_MAX = 10


class Mailbox(models.Model):
    """An address Kundig sends from (SMTP) and, where set, reads (IMAP)."""

    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("address"), unique=True)
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_('Shown to recipients, for example "Weber Wohnen Service".'),
    )
    is_default = models.BooleanField(
        _("default mailbox"),
        default=False,
        help_text=_("Messages without a mailbox of their own go out from here."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    smtp_host = models.CharField(_("SMTP server"), max_length=200)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"),
        max_length=10,
        choices=Security.choices,
        default=Security.STARTTLS,
    )
    smtp_username = models.CharField(_("SMTP user name"), max_length=200, blank=True)
    smtp_password_encrypted = models.TextField(blank=True, editable=False)
    smtp_connections = models.PositiveSmallIntegerField(
        _("SMTP connections"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(SMTP_CONNECTIONS_MAX)],
        help_text=_(
            "How many mails go out at the same time. Most providers allow a few "
            "(Microsoft 365: 3); a server of your own, more."
        ),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"),
        max_length=10,
        choices=Security.choices,
        default=Security.SSL,
    )
    imap_username = models.CharField(_("IMAP user name"), max_length=200, blank=True)
    imap_password_encrypted = models.TextField(blank=True, editable=False)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    # Reading progress: the folder's UIDVALIDITY and the highest UID filed.
    # A UIDVALIDITY that changed means the server renumbered the folder: the
    # reader starts over, and Message-IDs keep it from filing a mail twice.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    imap_checked_at = models.DateTimeField(
        _("last read"), null=True, blank=True, editable=False
    )
    imap_error = models.CharField(
        _("reading problem"), max_length=500, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="messaging_mailbox_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_absolute_url(self) -> str:
        return reverse("messaging:mailbox_edit", args=[self.pk])

    @property
    def smtp_password(self) -> str:
        return crypto.decrypt(self.smtp_password_encrypted)

    @property
    def imap_password(self) -> str:
        return crypto.decrypt(self.imap_password_encrypted)

    @property
    def reads_mail(self) -> bool:
        return bool(self.imap_host and self.imap_username)


class MessageTemplate(models.Model):
    """A message users write once and Kundig fills in for each recipient."""

    key = models.SlugField(
        _("key"),
        max_length=80,
        unique=True,
        help_text=_("A short name playbooks refer to, e.g. order-confirmation."),
    )
    name = models.CharField(_("name"), max_length=150)
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=Purpose.choices,
        default=Purpose.TRANSACTIONAL,
    )
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the default mailbox."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("messaging:template_detail", args=[self.pk])


class TemplateContent(models.Model):
    """A template's text in one language."""

    template = models.ForeignKey(
        MessageTemplate, on_delete=models.CASCADE, related_name="contents"
    )
    language = models.CharField(_("language"), max_length=5, choices=TEMPLATE_LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    html = models.TextField(_("HTML"))
    text = models.TextField(
        _("plain text"),
        blank=True,
        help_text=_("Empty: made from the HTML."),
    )

    class Meta:
        ordering = ["template", "language"]
        verbose_name = _("template text")
        verbose_name_plural = _("template texts")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language"],
                name="messaging_content_one_per_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_id}:{self.language}"


class Message(models.Model):
    """One outgoing email: written when the decision to send is made, sent after.

    ``idempotency_key`` names the reason and the recipient; a second attempt
    to queue the same message finds the first one instead.
    """

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # messaging_message_contact_idx leads with it
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    idempotency_key = models.CharField(max_length=200)  # unique: Meta
    to_email = models.EmailField(_("to"))
    to_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    html = models.TextField(_("HTML"), blank=True)
    text = models.TextField(_("plain text"))
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250)  # unique: Meta
    in_reply_to = models.CharField(max_length=250, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due; while one runs, the end of its lease.
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True, default=timezone.now
    )
    last_error = models.CharField(_("reason"), max_length=500, blank=True)
    # Which worker's attempt holds the lease (see outbox.outbox_send_due).
    lease = models.CharField(max_length=32, blank=True, editable=False)
    origin = models.CharField(
        _("origin"),
        max_length=200,
        blank=True,
        help_text=_("What decided to send it, e.g. a playbook step."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # When the sent message went on the timeline (see outbox._record_sent).
    recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    bounce = models.CharField(
        _("bounce"), max_length=10, choices=Bounce.choices, blank=True
    )
    bounce_reason = models.CharField(_("bounce reason"), max_length=500, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        # Every send updates a row twice (sent, then on the timeline), and
        # each update writes every index: so no more of them than are read.
        # Constraints rather than unique=True, which on PostgreSQL adds a
        # second (LIKE) index beside each unique one.
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="messaging_message_once"
            ),
            models.UniqueConstraint(
                fields=["message_id"], name="messaging_message_id_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status=MessageStatus.QUEUED),
                name="messaging_message_due_idx",
            ),
            models.Index(
                fields=["contact", "-created_at"], name="messaging_message_contact_idx"
            ),
            models.Index(
                fields=["-created_at", "-id"], name="messaging_message_recent_idx"
            ),
            # Sent but not yet on the timeline: what a dead worker left over.
            models.Index(
                fields=["sent_at"],
                condition=Q(status=MessageStatus.SENT, recorded_at__isnull=True),
                name="messaging_message_unrecorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:message_detail", args=[self.pk])


class SuppressedAddress(models.Model):
    """An address Kundig no longer sends to (hard bounce, complaint, by hand)."""

    email = models.EmailField(_("address"), unique=True)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email


def _attachment_path(attachment: InboundAttachment, filename: str) -> str:
    received = attachment.message.received_at
    try:
        name = get_valid_filename(filename)
    except SuspiciousFileOperation:  # nothing usable left of the sender's name
        name = "attachment"
    return f"messaging/inbound/{received:%Y/%m}/{attachment.message_id}/{name}"


class InboundMessage(models.Model):
    """One mail that arrived in a mailbox, filed once by its Message-ID."""

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=InboundKind.choices, default=InboundKind.MAIL
    )
    # Why the mail is flagged or what could not be read; empty for most.
    note = models.CharField(_("note"), max_length=500, blank=True)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to = models.TextField(_("to"), blank=True)
    cc = models.TextField(_("cc"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    in_reply_to = models.CharField(max_length=250, blank=True)
    references = models.TextField(blank=True)
    date = models.DateTimeField(_("date"), null=True, blank=True)
    text = models.TextField(_("plain text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)  # sanitised
    # The mail it answers: one of ours, or an earlier incoming one.
    reply_to_message = models.ForeignKey(
        Message,
        verbose_name=_("answers"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    reply_to_inbound = models.ForeignKey(
        "self",
        verbose_name=_("answers"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    raw_size = models.PositiveIntegerField(_("size"), default=0)
    uid = models.BigIntegerField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming mail")
        verbose_name_plural = _("incoming mail")
        indexes = [
            models.Index(
                fields=["contact", "-received_at"],
                name="messaging_inbound_contact_idx",
            ),
            models.Index(
                fields=["-received_at", "-id"], name="messaging_inbound_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:inbound_detail", args=[self.pk])

    @property
    def is_flagged(self) -> bool:
        return self.kind != InboundKind.MAIL


class InboundAttachment(models.Model):
    """A file that came with an incoming mail; kept only as a download."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"), default=0)
    file = models.FileField(
        _("file"), upload_to=_attachment_path, max_length=300, blank=True
    )
    # Set when the file was not kept (too large, a program): the reason.
    refused = models.CharField(_("not kept"), max_length=300, blank=True)

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("messaging:inbound_attachment", args=[self.message_id, self.pk])


@receiver(post_delete, sender=InboundAttachment)
def _delete_attachment_file(sender, instance: InboundAttachment, **kwargs) -> None:
    # When a contact is erased its mail goes with it, and the files too, but
    # only once the deletion has committed.
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))
