"""``kundig token``: create, list and revoke API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from kundig.core.models import ApiToken, User
from kundig.core.services import TOKEN_PREFIX, token_create, token_revoke


class Command(BaseCommand):
    help = (
        "Manage API tokens. 'create' prints the new token alone on its last "
        "line; it is shown this once, the database keeps only its hash."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="Create a token for a user.")
        create.add_argument("--user", required=True, help="The user's email address.")
        create.add_argument(
            "--name", required=True, help="What the token is for, e.g. 'Shop sync'."
        )
        listing = actions.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", help="Only this user's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token.")
        revoke.add_argument(
            "prefix", metavar="PREFIX", help="The token's prefix, or the whole token."
        )

    @no_translations  # one language on the terminal: the messages' English
    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options) -> None:
        user = _user(options["user"])
        if not user.is_active:
            raise CommandError(f"--user: {user.email} is deactivated.")
        try:
            token, plain = token_create(user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(
            f"Created API token {token.name!r} for {user.email} "
            f"(prefix {token.prefix})."
        )
        self.stdout.write(
            "Copy it now: it is shown only this once; Kundig keeps only its hash."
        )
        self.stdout.write(plain)

    def _list(self, options) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__email", "pk")
        if options["user"]:
            tokens = tokens.filter(user=_user(options["user"]))
        rows = [
            (
                t.prefix,
                t.user.email,
                t.name,
                _when(t.created_at),
                _when(t.last_used_at),
                "revoked" if t.revoked_at else "active",
            )
            for t in tokens
        ]
        if not rows:
            self.stdout.write("No API tokens.")
            return
        header = ("PREFIX", "USER", "NAME", "CREATED", "LAST USED", "STATUS")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )

    def _revoke(self, options) -> None:
        prefix = options["prefix"].strip()
        if prefix.startswith(f"{TOKEN_PREFIX}_"):  # a whole token was pasted
            prefix = prefix.split("_", 2)[1]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"PREFIX: no API token has the prefix {prefix!r}.")
        if token.revoked_at:
            self.stdout.write(f"Token {token.prefix} was revoked already.")
            return
        token_revoke(token=token)
        self.stdout.write(
            f"Revoked token {token.prefix} ({token.name!r} of {token.user.email})."
        )


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"--user: no user has the email address {email!r}.")
    return user


def _when(moment) -> str:
    if moment is None:
        return "-"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
