"""Pages for mailboxes, message templates (with preview) and the outbox."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import selectors, services
from .choices import STATUS_COLORS, TEMPLATE_LANGUAGES, MessageStatus
from .forms import MailboxForm, TemplateForm
from .models import Mailbox, MessageTemplate
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
            if raw.isdigit()
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
    return redirect("messaging:mailbox_list")
