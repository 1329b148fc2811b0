"""Pages for mailboxes, message templates (with preview), the outbox and the inbox."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.htmx import with_toast

from . import imap, replies, selectors, services
from .choices import (
    INBOUND_KIND_COLORS,
    STATUS_COLORS,
    TEMPLATE_LANGUAGES,
    InboundKind,
    MessageStatus,
)
from .forms import MailboxForm, TemplateForm, WriteForm
from .models import InboundAttachment, Mailbox, MessageTemplate
from .rendering import MERGE_FIELDS, TOP_LEVEL, RenderError


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Outbox -------------------------------------------------------------------------


@role_required(Permission.MESSAGING)
def message_list(request):
    status = request.GET.get("status", "")
    qs = selectors.messages_visible_to(request.user).select_related("contact")
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "messaging/message_list.html",
        {
            "page": page,
            "status": status,
            "statuses": MessageStatus.choices,
            "colors": STATUS_COLORS,
        },
    )


@role_required(Permission.MESSAGING)
def message_detail(request, pk: int):
    message = get_object_or_404(
        selectors.messages_visible_to(request.user).select_related("contact"), pk=pk
    )
    return render(
        request,
        "messaging/message_detail.html",
        {"message": message, "colors": STATUS_COLORS},
    )


@require_POST
@role_required(Permission.MESSAGING)
def message_retry(request, pk: int):
    message = get_object_or_404(selectors.messages_visible_to(request.user), pk=pk)
    try:
        services.message_retry(actor=request.user, message=message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect(message.get_absolute_url())


# --- Templates ----------------------------------------------------------------------


@role_required(Permission.MESSAGING)
def template_list(request):
    templates = MessageTemplate.objects.prefetch_related("contents").select_related(
        "mailbox"
    )
    return render(request, "messaging/template_list.html", {"templates": templates})


@role_required(Permission.MESSAGING)
def template_detail(request, pk: int):
    template = get_object_or_404(
        MessageTemplate.objects.prefetch_related("contents"), pk=pk
    )
    language = request.GET.get("language", "de")
    if language not in dict(TEMPLATE_LANGUAGES):
        language = "de"
    contact = None
    if request.GET.get("contact"):
        raw = request.GET["contact"]
        contact = (
            contact_selectors.contacts_visible_to(request.user)
            .filter(pk=int(raw))
            .first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if contact is None:
            messages.error(request, _("You cannot see that contact."))
    preview = error = None
    try:
        preview = services.template_preview(
            template, contact=contact, language=language
        )
    except RenderError as exc:
        error = str(exc)
    return render(
        request,
        "messaging/template_detail.html",
        {
            "template": template,
            "preview": preview,
            "error": error,
            "contact": contact,
            "language": language,
            "languages": TEMPLATE_LANGUAGES,
        },
    )


@role_required(Permission.MESSAGING)
def template_edit(request, pk: int | None = None):
    template = (
        get_object_or_404(MessageTemplate.objects.prefetch_related("contents"), pk=pk)
        if pk
        else None
    )
    initial = None
    if template is not None:
        initial = {
            "name": template.name,
            "key": template.key,
            "purpose": template.purpose,
            "mailbox": template.mailbox_id,
        }
        for content in template.contents.all():
            for part in ("subject", "html", "text"):
                initial[f"{part}_{content.language}"] = getattr(content, part)
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = services.template_save(
                actor=request.user,
                template=template,
                name=data["name"],
                key=data["key"],
                purpose=data["purpose"],
                mailbox=data["mailbox"],
                contents=form.contents(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The template is saved."))
            return redirect(template.get_absolute_url())
    return render(
        request,
        "messaging/template_form.html",
        {
            "form": form,
            "template": template,
            "merge_fields": MERGE_FIELDS,
            "top_level": TOP_LEVEL,
            "example_greeting": "{{ salutation }},",
            "example_field": "{{ order.number }}",
        },
    )


# --- Mailboxes ----------------------------------------------------------------------


@role_required(Permission.MANAGE)
def mailbox_list(request):
    return render(
        request, "messaging/mailbox_list.html", {"mailboxes": Mailbox.objects.all()}
    )


@role_required(Permission.MANAGE)
def mailbox_edit(request, pk: int | None = None):
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk else None
    form = MailboxForm.for_mailbox(mailbox, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        smtp_password = data.pop("smtp_password") or None
        imap_password = data.pop("imap_password") or None
        try:
            mailbox = services.mailbox_save(
                actor=request.user,
                mailbox=mailbox,
                smtp_password=smtp_password,
                imap_password=imap_password,
                **data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The mailbox is saved."))
            return redirect("messaging:mailbox_list")
    return render(
        request, "messaging/mailbox_form.html", {"form": form, "mailbox": mailbox}
    )


@require_POST
@role_required(Permission.MANAGE)
def mailbox_check(request, pk: int):
    mailbox = get_object_or_404(Mailbox, pk=pk)
    problem = services.mailbox_test(mailbox)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Kundig reached the SMTP server and logged in."))
    if mailbox.reads_mail:
        problem = imap.imap_test(mailbox)
        if problem:
            messages.error(request, problem)
        else:
            messages.success(
                request, _("Kundig reached the IMAP server and opened the folder.")
            )
    return redirect("messaging:mailbox_list")


# --- Incoming mail --------------------------------------------------------------------


@role_required(Permission.MESSAGING)
def inbound_list(request):
    kind = request.GET.get("kind", "")
    qs = selectors.inbound_visible_to(request.user)
    if kind in InboundKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(qs.order_by("-received_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "messaging/inbound_list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": InboundKind.choices,
            "colors": INBOUND_KIND_COLORS,
        },
    )


@login_required
def inbound_detail(request, pk: int):
    inbound = selectors.inbound_get(user=request.user, pk=pk)
    answers = selectors.inbound_thread(user=request.user, inbound=inbound)
    earlier = inbound.reply_to_inbound
    if earlier is not None and not (
        selectors.inbound_visible_to(request.user).filter(pk=earlier.pk).exists()
    ):
        earlier = None
    ours = inbound.reply_to_message
    if ours is not None and not (
        selectors.messages_visible_to(request.user).filter(pk=ours.pk).exists()
    ):
        ours = None  # threaded by headers the sender wrote: check like earlier
    user = request.user
    return render(
        request,
        "messaging/inbound_detail.html",
        {
            "inbound": inbound,
            "answers": answers,
            "earlier": earlier,
            "ours": ours,
            "colors": INBOUND_KIND_COLORS,
            "may_open_outbox": user.has_role_permission(Permission.MESSAGING),
            "may_reply": inbound.contact_id is not None
            and user.has_role_permission(Permission.WRITE),
        },
    )


@login_required
def inbound_attachment(request, pk: int, attachment_pk: int):
    """Hand out an attachment as a download, never as a page of ours."""
    attachment = get_object_or_404(
        InboundAttachment.objects.filter(
            message__in=selectors.inbound_visible_to(request.user)
        ),
        pk=attachment_pk,
        message_id=pk,
    )
    if attachment.refused or not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _contact_mail(request, contact):
    return render(
        request,
        "messaging/partials/contact_mail.html",
        {
            "contact": contact,
            "mails": selectors.contact_inbound(user=request.user, contact=contact),
            "colors": INBOUND_KIND_COLORS,
            "may_write": request.user.has_role_permission(Permission.WRITE),
        },
    )


@login_required
def contact_mail(request, pk: int):
    """The mail card of the 360° page, loaded after the page."""
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    return _contact_mail(request, contact)


@login_required
def contact_write(request, pk: int):
    """Write to a contact, or answer one of their mails (``?reply=<id>``)."""
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    reply_to = None
    raw = request.POST.get("reply") or request.GET.get("reply") or ""
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            raise Http404
        reply_to = get_object_or_404(
            selectors.inbound_visible_to(request.user).filter(contact=contact),
            pk=int(raw),
        )
    if request.method == "POST":
        form = WriteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                replies.message_write(
                    actor=request.user,
                    contact=contact,
                    subject=data["subject"],
                    text=data["text"],
                    key=data["key"],
                    reply_to=reply_to,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                done = _("The mail is in the outbox and goes out in a moment.")
                if request.htmx:
                    response = _contact_mail(request, contact)
                    response = reswap(retarget(response, "#contact-mail"), "outerHTML")
                    return with_toast(response, done)
                messages.success(request, done)
                return redirect(contact.get_absolute_url())
    else:
        initial = {"key": uuid.uuid4().hex}
        if reply_to is not None:
            initial.update(
                subject=replies.reply_subject(reply_to.subject),
                text=replies.reply_text(reply_to),
                reply=reply_to.pk,
            )
        form = WriteForm(initial=initial)
    template = (
        "messaging/partials/write_form.html" if request.htmx else "messaging/write.html"
    )
    return render(
        request,
        template,
        {
            "form": form,
            "contact": contact,
            "reply_to": reply_to,
            "inline": bool(request.htmx),
        },
    )
