"""Profile, language, API tokens, notifications and the admin settings pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import notifications as notify
from . import services
from .choices import Permission
from .decorators import role_required
from .forms import CustomFieldForm, ProfileForm, TeamForm, TokenForm, UserForm
from .models import CustomFieldDefinition, Team, User


def add_form_errors(form, exc: ValidationError) -> None:
    """Attach a service's field errors to ``form``; unknown fields go to the form."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Profile and language -------------------------------------------------------------


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.user_update(user=user, actor=user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form})


@require_POST
def set_language(request):
    """Switch the language: stored on the user if signed in, else in a cookie."""
    from django.views.i18n import set_language as django_set_language

    language = request.POST.get("language", "")
    if not request.user.is_authenticated:
        return django_set_language(request)
    try:
        services.user_set_language(user=request.user, language=language)
    except ValidationError:
        messages.error(request, _("Choose German or English."))
    target = request.POST.get("next") or reverse("activity:home")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("activity:home")
    return HttpResponseRedirect(target)


# --- API tokens -----------------------------------------------------------------------


@login_required
@never_cache  # the new token is on this page once; no cache may keep it
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "core/tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": request.user.api_tokens.all(),
        },
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    services.token_revoke(token=token)
    messages.success(
        request, _("The token %(name)s was revoked.") % {"name": token.name}
    )
    return redirect("core:tokens")


# --- Notifications --------------------------------------------------------------------


@login_required
def notification_list(request):
    page = Paginator(request.user.notifications.all(), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notifications_menu(request):
    latest = list(request.user.notifications.all()[:6])
    return render(request, "core/partials/notifications_menu.html", {"latest": latest})


@login_required
@require_POST
def notifications_read(request):
    ids = request.POST.getlist("id") or None
    notify.notifications_mark_read(user=request.user, ids=ids)
    target = request.POST.get("next") or reverse("core:notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("core:notifications")
    return HttpResponseRedirect(target)


@login_required
def notification_open(request, pk: int):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notify.notifications_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url or reverse("core:notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("core:notifications")
    return HttpResponseRedirect(target)


# --- Settings: users, teams, custom fields --------------------------------------------


@role_required(Permission.MANAGE)
def user_list(request):
    users = User.objects.select_related("team").order_by(
        "-is_active", "first_name", "email"
    )
    return render(request, "core/settings/users.html", {"users": users})


def _save_user(request, form, user: User | None):
    data = form.cleaned_data
    team = data.get("team")
    if data.get("new_team"):
        team = services.team_get_or_create(name=data["new_team"])
    if user is None:
        user = services.user_create(
            email=data["email"],
            password=data["password"],
            role=data["role"],
            team_name=team.name if team else None,
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=data["language"],
            visibility=data["visibility"],
            actor=request.user,
        )
    else:
        services.user_update(
            user=user,
            actor=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            team=team,
            visibility=data["visibility"],
            language=data["language"],
            is_active=data["is_active"] if user != request.user else True,
        )
        if data.get("password"):
            services.user_set_password(
                user=user, password=data["password"], actor=request.user
            )
    return user


@role_required(Permission.MANAGE)
def user_edit(request, pk: int | None = None):
    user = get_object_or_404(User, pk=pk) if pk else None
    initial = {}
    if user is not None:
        initial = {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "team": user.team_id,
            "visibility": user.visibility,
            "language": user.language,
            "is_active": user.is_active,
        }
    form = UserForm(request.POST or None, initial=initial, creating=user is None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_user(request, form, user)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("%(user)s was saved.") % {"user": saved})
            return redirect("core:users")
    return render(
        request, "core/settings/user_form.html", {"form": form, "edited": user}
    )


@role_required(Permission.MANAGE)
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_get_or_create(name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("The team was created."))
            return redirect("core:teams")
    teams = Team.objects.annotate(members_count=Count("members"))
    return render(request, "core/settings/teams.html", {"teams": teams, "form": form})


@role_required(Permission.MANAGE)
def team_edit(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_rename(team=team, name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("The team was renamed."))
            return redirect("core:teams")
    return render(request, "core/settings/team_form.html", {"form": form, "team": team})


@role_required(Permission.MANAGE)
def custom_field_list(request):
    fields = CustomFieldDefinition.objects.all()
    return render(request, "core/settings/fields.html", {"fields": fields})


@role_required(Permission.MANAGE)
def custom_field_edit(request, pk: int | None = None):
    definition = (
        get_object_or_404(CustomFieldDefinition, pk=pk)
        if pk
        else CustomFieldDefinition()
    )
    form = CustomFieldForm(request.POST or None, instance=definition)
    if request.method == "POST" and form.is_valid():
        try:
            services.custom_field_save(definition=form.instance, actor=request.user)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("The field %(label)s was saved.") % {"label": definition.label},
            )
            return redirect("core:custom_fields")
    return render(
        request,
        "core/settings/field_form.html",
        {"form": form, "definition": definition},
    )
