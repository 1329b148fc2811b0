from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import TEMPLATE_LANGUAGES, Purpose, Security
from .models import SMTP_CONNECTIONS_MAX, Mailbox


class MailboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(label=_("Address"))
    sender_name = forms.CharField(
        label=_("Sender name"), max_length=100, required=False
    )
    is_default = forms.BooleanField(label=_("Default mailbox"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    smtp_host = forms.CharField(label=_("SMTP server"), max_length=200)
    smtp_port = forms.IntegerField(
        label=_("SMTP port"), min_value=1, max_value=65535, initial=587
    )
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"), choices=Security.choices, initial=Security.STARTTLS
    )
    smtp_username = forms.CharField(
        label=_("SMTP user name"), max_length=200, required=False
    )
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Stored encrypted. Leave empty to keep the stored one."),
    )
    smtp_connections = forms.IntegerField(
        label=_("SMTP connections"),
        min_value=1,
        max_value=SMTP_CONNECTIONS_MAX,
        initial=2,
        help_text=_(
            "How many mails go out at the same time. Most providers allow a few "
            "(Microsoft 365: 3); a server of your own, more."
        ),
    )
    imap_host = forms.CharField(label=_("IMAP server"), max_length=200, required=False)
    imap_port = forms.IntegerField(
        label=_("IMAP port"), min_value=1, max_value=65535, initial=993
    )
    imap_security = forms.ChoiceField(
        label=_("IMAP security"), choices=Security.choices, initial=Security.SSL
    )
    imap_username = forms.CharField(
        label=_("IMAP user name"), max_length=200, required=False
    )
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Stored encrypted. Leave empty to keep the stored one."),
    )
    imap_folder = forms.CharField(
        label=_("IMAP folder"), max_length=200, initial="INBOX"
    )

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox | None, data=None):
        initial = None
        if mailbox is not None:
            initial = {
                f: getattr(mailbox, f)
                for f in cls.base_fields
                if hasattr(mailbox, f) and "password" not in f
            }
        return cls(data=data, initial=initial)


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    key = forms.SlugField(
        label=_("Key"),
        max_length=80,
        help_text=_("A short name playbooks refer to, e.g. order-confirmation."),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=Purpose.choices,
        help_text=_(
            "Newsletters, product news and surveys go only to contacts "
            "who confirmed their consent."
        ),
    )
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=Mailbox.objects.filter(is_active=True),
        required=False,
        empty_label=_("The default mailbox"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, language in TEMPLATE_LANGUAGES:
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": language},
                max_length=300,
                required=False,
            )
            self.fields[f"html_{code}"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
            )
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Plain text (%(language)s)") % {"language": language},
                required=False,
                widget=forms.Textarea(attrs={"rows": 5, "class": "font-monospace"}),
                help_text=_("Empty: made from the message."),
            )

    def contents(self) -> dict[str, dict[str, str]]:
        return {
            code: {
                part: self.cleaned_data.get(f"{part}_{code}") or ""
                for part in ("subject", "html", "text")
            }
            for code, _label in TEMPLATE_LANGUAGES
        }

    def language_fields(self):
        return [
            (
                code,
                label,
                self[f"subject_{code}"],
                self[f"html_{code}"],
                self[f"text_{code}"],
            )
            for code, label in TEMPLATE_LANGUAGES
        ]


class WriteForm(forms.Form):
    """A mail written on the contact's page; ``key`` makes a double click send once."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    text = forms.CharField(
        label=_("Message"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=32)
    reply = forms.IntegerField(widget=forms.HiddenInput, required=False)
