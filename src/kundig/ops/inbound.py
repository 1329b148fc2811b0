"""Hand a customer's reply from the caught-mail page to messaging's mail intake.

The reply goes in as raw bytes, the same way a mail fetched over IMAP does,
for the mailbox it is addressed to; what happens to it then (matching the
contact, the timeline, a ticket) is the intake's business, not ours.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kundig.core.choices import Permission
from kundig.core.permissions import require
from kundig.messaging import inbound as intake
from kundig.messaging.models import Mailbox


def mailbox_for(raw: bytes) -> Mailbox:
    """Return the active mailbox the mail in ``raw`` is addressed to."""
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    addresses = [a.lower() for _n, a in getaddresses([str(message["To"] or "")]) if a]
    mailbox = Mailbox.objects.filter(email__in=addresses, is_active=True).first()
    if mailbox is None:
        raise ValidationError(
            _("No active mailbox has the address %(address)s.")
            % {"address": ", ".join(addresses) or "–"}
        )
    return mailbox


def file_reply(*, actor, raw: bytes) -> intake.Filed:
    """File ``raw`` as a mail that arrived in the mailbox it is addressed to."""
    require(actor, Permission.MANAGE)
    mailbox = mailbox_for(raw)
    with transaction.atomic():
        return intake.inbound_file(mailbox=mailbox, raw=raw)
