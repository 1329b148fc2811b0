"""The ``kundig`` command: Django's management commands with Kundig's settings.

``kundig <command> …`` is ``django-admin <command> …`` with
``DJANGO_SETTINGS_MODULE=kundig.settings`` unless the environment names another
settings module. With no command, or ``--help``, it prints Kundig's own usage,
the everyday commands first.
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec

USAGE = """\
Kundig - das CRM für den Handel. Open-source CRM for retailers.

Usage: kundig <command> [options]

Try it
  demo [--port 8000] [--host 127.0.0.1] [--mail-port 2525]
                        set up a demo database and run web, worker, scheduler
                        and a mail catcher that keeps every mail the demo sends
  mailcatcher [--host 127.0.0.1] [--port 2525] [--maildir DIR]
                        a local SMTP server storing all mail in a Maildir
{data}
Run it
  web [--host H] [--port P] [--workers N] [--reload]
                        serve the web app with gunicorn (collects static files first)
  worker                run background tasks
  scheduler             enqueue periodic jobs (one scheduler is enough)
  migrate               create or update the database tables
  check --deploy        check the production settings

Administer
  createuser --email E --password P --role ROLE [--team TEAM]
                        [--first-name F] [--last-name L] [--language de|en]
  token create --user EMAIL --name NAME
                        create an API token; it is printed once, on the last line
  token list [--user EMAIL]
  token revoke PREFIX
  shop add --platform shopware|shopify|woocommerce --name NAME [--secret S]
           [--api-url URL --api-key K --api-secret S|-]
                        connect a shop; prints its webhook URL and signing secret
  shop api ID --api-url URL [--api-key K] --api-secret S|-
                        give a shop the API access that imports its order history
  shop list             the connected shops and their webhook URLs

More
  kundig <command> --help   options of one command
  kundig help --commands    every command, Django's included
  kundig --version

Settings come from KUNDIG_* environment variables; see README.md.
"""

_DATA_COMMANDS = (
    ("seed", "load sample data (see kundig seed --help)"),
    ("bench", "measure page and API response times"),
)


def _command_exists(name: str) -> bool:
    return find_spec(f"kundig.ops.management.commands.{name}") is not None


def usage() -> str:
    """Return the usage text, naming only the data commands that are installed."""
    lines = [
        f"  {name:<20}  {text}"
        for name, text in _DATA_COMMANDS
        if _command_exists(name)
    ]
    data = "\nData\n" + "\n".join(lines) + "\n" if lines else ""
    return USAGE.format(data=data)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kundig")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    """Run a Kundig command line; ``argv`` defaults to ``sys.argv``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        sys.stdout.write(usage())
        return
    if args[0] in {"--version", "version"}:
        sys.stdout.write(f"kundig {_version()}\n")
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundig.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Loading the settings here turns a bad KUNDIG_* value into one clear
        # line instead of a traceback from deep inside Django.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"kundig: configuration error: {exc}\n")
        sys.exit(2)
    # "kundig" rather than argv[0], which is __main__.py under ``python -m kundig``.
    execute_from_command_line(["kundig", *args])
