"""Writes of the core domain: users, teams, API tokens, tags, custom fields."""

from __future__ import annotations

import hmac
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_changes, audit_created
from .choices import CustomFieldEntity, CustomFieldType, Language, Role, Visibility
from .crypto import digest
from .models import ApiToken, CustomFieldDefinition, Tag, Team, User

TOKEN_PREFIX = "kdg"  # noqa: S105 - a label, not a secret


def team_get_or_create(*, name: str) -> Team:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"team": _("A team needs a name.")})
    team = Team.objects.filter(name__iexact=name).first()
    return team or Team.objects.create(name=name)


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    role: str,
    team_name: str | None = None,
    first_name: str = "",
    last_name: str = "",
    language: str = Language.GERMAN,
    visibility: str = "",
    actor: User | None = None,
    check_password: bool = True,
) -> User:
    """Create a user, and their team if it does not exist yet."""
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [_("A user with this email address exists already.")]
    if role not in Role.values:
        errors["role"] = [
            _("Unknown role %(role)s; use one of: %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        ]
    if visibility and visibility not in Visibility.values:
        errors["visibility"] = [_("Unknown visibility %(v)s.") % {"v": visibility}]
    if language not in Language.values:
        errors["language"] = [_("Unknown language %(l)s.") % {"l": language}]
    if check_password and not errors.get("email"):
        try:
            validate_password(password, User(email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    team = team_get_or_create(name=team_name) if team_name else None
    user = User.objects.create_user(
        email=email,
        password=password,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        language=language,
        visibility=visibility,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    audit_created(user, actor=actor)
    return user


USER_EDITABLE = (
    "first_name",
    "last_name",
    "role",
    "team",
    "visibility",
    "language",
    "is_active",
)


@transaction.atomic
def user_update(*, user: User, actor: User, **changes) -> User:
    unknown = set(changes) - set(USER_EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    new_role = changes.get("role", user.role)
    new_active = changes.get("is_active", user.is_active)
    if user.role == Role.ADMIN and not (new_role == Role.ADMIN and new_active):
        others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(
            pk=user.pk
        )
        if not others.exists():
            raise ValidationError(
                {"role": _("Kundig needs at least one active administrator.")}
            )
    before = {f: getattr(user, f) for f in changes}
    for field, value in changes.items():
        setattr(user, field, value)
    user.is_staff = user.is_superuser = user.role == Role.ADMIN
    user.full_clean(exclude=["password"])
    user.save()
    audit_changes(
        user, actor=actor, before=before, after={f: getattr(user, f) for f in changes}
    )
    return user


def user_set_language(*, user: User, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose German or English.")})
    user.language = language
    user.save(update_fields=["language"])
    return user


# --- API tokens -----------------------------------------------------------------------


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token; return it and the plain token, which is shown only once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. 'Shop sync'.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=digest(plain)
    )
    return token, plain


def token_authenticate(plain: str) -> User | None:
    """Return the active user a plain token belongs to, or None."""
    parts = (plain or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest(plain)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Tags -----------------------------------------------------------------------------


def tags_get_or_create(names) -> list[Tag]:
    """Return tags named ``names`` (case-insensitive), creating missing ones."""
    cleaned: dict[str, str] = {}
    for raw in names or ():
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": _("A tag has at most 50 characters.")})
        cleaned.setdefault(name.lower(), name)
    if not cleaned:
        return []
    existing = {
        t.name.lower(): t
        for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=cleaned)
    }
    for key, name in cleaned.items():
        if key not in existing:
            try:
                with transaction.atomic():
                    existing[key] = Tag.objects.create(name=name)
            except IntegrityError:  # created concurrently under another spelling
                existing[key] = Tag.objects.get(name__iexact=name)
    return [existing[k] for k in cleaned]


# --- Custom fields --------------------------------------------------------------------


@transaction.atomic
def custom_field_save(
    *, definition: CustomFieldDefinition, actor: User
) -> CustomFieldDefinition:
    if definition.entity not in CustomFieldEntity.values:
        raise ValidationError({"entity": _("Choose contact or company.")})
    if definition.field_type == CustomFieldType.CHOICE:
        choices = [str(c).strip() for c in definition.choices or [] if str(c).strip()]
        if not choices:
            raise ValidationError(
                {"choices": _("A choice field needs at least one choice.")}
            )
        definition.choices = list(dict.fromkeys(choices))
    else:
        definition.choices = []
    unknown_roles = set(definition.visible_to_roles or []) - set(Role.values)
    if unknown_roles:
        raise ValidationError({"visible_to_roles": _("Unknown role.")})
    creating = definition.pk is None
    definition.full_clean()
    definition.save()
    if creating:
        audit_created(definition, actor=actor)
    return definition


def user_set_password(*, user: User, password: str, actor: User | None) -> User:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_changes(user, actor=actor, before={"password": "•"}, after={"password": "••"})
    return user


def team_rename(*, team: Team, name: str) -> Team:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A team needs a name.")})
    if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": _("There is a team with this name already.")})
    team.name = name
    team.save(update_fields=["name"])
    return team
