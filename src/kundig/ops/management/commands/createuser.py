"""``kundig createuser``: create a user (and their team) from the command line."""

from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations

from kundig.core.choices import Language, Role
from kundig.core.services import user_create

# The service's error keys, as the options a user typed.
_OPTION = {
    "email": "--email",
    "password": "--password",
    "role": "--role",
    "team": "--team",
    "language": "--language",
    "first_name": "--first-name",
    "last_name": "--last-name",
}


class Command(BaseCommand):
    help = (
        "Create a user who logs in with email and password. The team is created "
        "if it does not exist. Without --password the password is asked for "
        "(or read from the first line of standard input when that is not a "
        "terminal), so it stays out of the shell history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password")
        parser.add_argument(
            "--role", required=True, help=f"One of: {', '.join(Role.values)}."
        )
        parser.add_argument(
            "--team", default="", help="Team name, e.g. 'Filiale Nord'."
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--language",
            default=Language.GERMAN.value,
            help=f"Language of the user interface: {' or '.join(Language.values)} "
            "(default: %(default)s).",
        )

    @no_translations  # one language on the terminal: the messages' English
    def handle(self, *args, **options):
        password = options["password"]
        if password is None:
            password = self._read_password()
        try:
            user = user_create(
                email=options["email"],
                password=password,
                role=options["role"],
                team_name=options["team"].strip() or None,
                first_name=options["first_name"].strip(),
                last_name=options["last_name"].strip(),
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        team = f" in team {user.team.name}" if user.team else ""
        self.stdout.write(f"Created {user.role} {user.email}{team}.")

    def _read_password(self) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.readline().rstrip("\r\n")
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("--password: the two passwords differ. No user created.")
        return first


def _describe(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "No user created: " + " ".join(exc.messages)
    lines = ["No user created:"]
    for field, messages in exc.message_dict.items():
        option = _OPTION.get(field, field)
        lines.extend(f"  {option}: {message}" for message in messages)
    return "\n".join(lines)
