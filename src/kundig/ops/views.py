"""The mail catcher's pages: what the demo's SMTP sink caught, for administrators.

They exist only while ``KUNDIG_MAIL_CATCHER_DIR`` is set (the demo sets it);
otherwise every address here is a 404. A mail's HTML is served on its own
address with a CSP that allows no script, no request and no form, and shown
in a ``sandbox=""`` iframe: mail HTML is whatever the sender wrote.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.messaging import services as messaging

from . import caught_mail, inbound

PER_PAGE = 25
# Inline styles and pictures inside the mail; nothing else, not even a link
# target that could run script (sandbox), and only this site may frame it.
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; "
    "font-src data:; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; sandbox"
)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _directory():
    directory = settings.KUNDIG_MAIL_CATCHER_DIR
    if directory is None:
        raise Http404(_("The mail catcher is not running."))
    return directory


def _mail(key: str) -> caught_mail.CaughtMail:
    mail = caught_mail.caught_mail(_directory(), key)
    if mail is None:
        raise Http404(_("There is no such mail."))
    return mail


@role_required(Permission.MANAGE)
def caught_mail_list(request):
    directory = _directory()
    page = Paginator(caught_mail.caught_entries(directory), PER_PAGE).get_page(
        request.GET.get("page")
    )
    mails = caught_mail.caught_summaries(list(page.object_list))
    return render(
        request,
        "ops/caught_mail_list.html",
        {
            "page": page,
            "mails": mails,
            # The empty page says where Kundig sends to.
            "mailbox": None if mails else messaging.mailbox_default(),
        },
    )


def _detail(request, mail: caught_mail.CaughtMail, form: ReplyForm, *, status=200):
    return render(
        request,
        "ops/caught_mail_detail.html",
        {"mail": mail, "form": form},
        status=status,
    )


@role_required(Permission.MANAGE)
def caught_mail_detail(request, key: str):
    return _detail(request, _mail(key), ReplyForm())


@role_required(Permission.MANAGE)
@xframe_options_sameorigin
def caught_mail_html(request, key: str):
    mail = _mail(key)
    if mail.html is None:
        raise Http404(_("This mail has no HTML part."))
    response = HttpResponse(mail.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Permission.MANAGE)
def caught_mail_raw(request, key: str):
    mail = _mail(key)
    response = HttpResponse(mail.raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{mail.key[:60]}.eml"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required(Permission.MANAGE)
def caught_mail_reply(request, key: str):
    mail = _mail(key)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, mail, form, status=422)
    try:
        raw = caught_mail.reply_build(mail, text=form.cleaned_data["text"])
        filed = inbound.file_reply(actor=request.user, raw=raw)
    except (ValueError, ValidationError, PermissionDenied) as exc:
        problem = " ".join(getattr(exc, "messages", None) or [str(exc)])
        messages.error(
            request, _("The reply was not filed: %(problem)s") % {"problem": problem}
        )
        return redirect("ops:caught_mail_detail", key=mail.key)
    messages.success(
        request,
        _("Kundig received the reply in the mailbox %(mailbox)s; here it is.")
        % {"mailbox": filed.message.mailbox},
    )
    return redirect(filed.message.get_absolute_url())
