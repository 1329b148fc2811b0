"""Take the README's screenshot: the 360° page of the demo's Jürgen Müller.

Runs on its own: a throwaway data directory, the demo data, a web server on a
free port, headless Chromium (Debian's package) through Playwright.

    python -m kundig.ops.screenshot [--output docs/screenshot.png] [--language de]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - localhost
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The web server did not answer at {url}.")


def _prepare(env: dict) -> tuple[str, str, int]:
    """Migrate, load the demo data; return the login and Jürgen Müller's id."""
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from kundig.ops.demo_data import load_demo_data; info = load_demo_data();"
        "from django.apps import apps;"
        "c = apps.get_model('contacts', 'Contact').objects.get("
        "first_name='Jürgen', last_name='Müller');"
        "print(info.login_email, info.login_password, c.pk)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    email, password, pk = out.stdout.split()[-3:]
    return email, password, int(pk)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="docs/screenshot.png")
    parser.add_argument("--language", default="de", choices=["de", "en"])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=860)
    args = parser.parse_args(argv)

    chromium = os.environ.get("KUNDIG_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        raise SystemExit(
            "Needs Chromium: apt-get install chromium (or KUNDIG_CHROMIUM)."
        )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kundig-screenshot-") as data_dir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kundig.settings",
            "KUNDIG_DATA_DIR": data_dir,
            "KUNDIG_DATABASE_URL": f"sqlite:///{data_dir}/kundig.sqlite3",
        }
        email, password, pk = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "kundig",
                "web",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{base}/accounts/login/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, args=CHROMIUM_ARGS
                )
                page = browser.new_page(
                    viewport={"width": args.width, "height": args.height},
                    locale=f"{args.language}-DE",
                )
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=login]", email)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                if args.language == "en":
                    page.goto(f"{base}/profile/")
                    page.click("form[action='/profile/language/'] button[value=en]")
                page.goto(f"{base}/contacts/{pk}/")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(800)  # let the chart draw
                page.screenshot(path=args.output)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
