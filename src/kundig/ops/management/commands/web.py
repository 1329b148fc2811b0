"""``kundig web``: serve Kundig with gunicorn, the production web server."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication

from kundig.ops.staticfiles import collectstatic_if_changed

MAX_DEFAULT_WORKERS = 8
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def default_workers() -> int:
    """Return gunicorn's rule of thumb, 2 x cores + 1, capped for small machines."""
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class KundigApplication(BaseApplication):
    """Gunicorn, configured from Python instead of its own command line."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from kundig.wsgi import application

        return application


class Command(BaseCommand):
    help = (
        "Serve Kundig with gunicorn. Collects static files first (when they "
        "changed). Put a reverse "
        "proxy (nginx, Caddy) in front for TLS and set KUNDIG_HTTPS=1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
        parser.add_argument(
            "--port", type=int, default=8000, help="default: %(default)s"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="Worker processes (default: 2 x CPU cores + 1, at most "
            f"{MAX_DEFAULT_WORKERS}; here %(default)s).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="Threads per worker; more than 1 uses gunicorn's gthread worker.",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=30,
            help="Seconds before a stuck request's worker is restarted "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart the workers when the code changes (development only).",
        )
        parser.add_argument(
            "--skip-collectstatic",
            action="store_true",
            help="Do not collect static files first (when a deploy step did it).",
        )

    def handle(self, *args, **options):
        for name in ("port", "workers", "threads", "timeout"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')}: must be at least 1.")
        if not options["skip_collectstatic"]:
            collected = collectstatic_if_changed()
            self.stdout.write(
                "Collected the static files."
                if collected
                else "Static files are up to date."
            )
        KundigApplication(
            {
                "bind": [bind_address(options["host"], options["port"])],
                "workers": options["workers"],
                "threads": options["threads"],
                "timeout": options["timeout"],
                "graceful_timeout": 20,
                "keepalive": 5,
                # Recycle workers now and then, so a slow leak never adds up.
                "max_requests": 2000,
                "max_requests_jitter": 200,
                "reload": options["reload"],
                "accesslog": "-",
                "errorlog": "-",
                "access_log_format": ACCESS_LOG_FORMAT,
                "loglevel": "info",
                "proc_name": "kundig-web",
                # gunicorn 25+ opens a control socket at one fixed path per user;
                # a second server on the machine (a test, the demo) would clash.
                "control_socket_disable": True,
            }
        ).run()
