"""Shared test personas and factories.

Two teams, Nord and Süd; a sales rep in each, so visibility can be tested
both ways; an admin who sees everything; a service agent, a marketing
user, a manager and a read-only user.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.test import Client
from django.utils import timezone, translation

from kundig.contacts.services import (
    EmailData,
    PhoneData,
    company_create,
    contact_create,
)
from kundig.core.services import user_create

PASSWORD = "Kundig-Test-Passwort-1"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Start every test in English and leave no language behind for the next.

    A request through the test client activates the user's language (German by
    default) and Django leaves it active in the thread, so without this the
    language of a message from a service depended on which test ran before.
    Pages still follow the signed-in user's language.
    """
    with translation.override("en"):
        yield


def _user(email: str, role: str, team: str | None, **extra):
    return user_create(
        email=email,
        password=PASSWORD,
        role=role,
        team_name=team,
        check_password=False,
        **extra,
    )


@pytest.fixture
def admin(db):
    return _user(
        "admin@kundig.test", "admin", None, first_name="Ada", last_name="Admin"
    )


@pytest.fixture
def sales_nord(db):
    return _user(
        "nora@kundig.test", "sales", "Nord", first_name="Nora", last_name="Nordmann"
    )


@pytest.fixture
def sales_sued(db):
    return _user(
        "sven@kundig.test", "sales", "Süd", first_name="Sven", last_name="Südmann"
    )


@pytest.fixture
def manager_nord(db):
    return _user(
        "mia@kundig.test", "manager", "Nord", first_name="Mia", last_name="Manager"
    )


@pytest.fixture
def service_agent(db):
    return _user(
        "selma@kundig.test",
        "service",
        "Service",
        first_name="Selma",
        last_name="Service",
    )


@pytest.fixture
def marketing_user(db):
    return _user(
        "mark@kundig.test",
        "marketing",
        "Marketing",
        first_name="Mark",
        last_name="Eting",
    )


@pytest.fixture
def read_only_nord(db):
    return _user(
        "rolf@kundig.test", "read_only", "Nord", first_name="Rolf", last_name="Readonly"
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def client_for():
    """Return a logged-in test client for a user: ``client_for(sales_nord)``."""
    return login


@pytest.fixture
def make_contact():
    """Create a contact through the service as ``actor`` (its owner by default)."""

    def make(
        actor,
        *,
        first_name="Anna",
        last_name=None,
        email=None,
        phone=None,
        custom=None,
        **fields,
    ):
        n = next(_counter)
        last_name = last_name if last_name is not None else f"Müller{n}"
        emails = [EmailData(email)] if email else [EmailData(f"kunde{n}@example.de")]
        phones = [PhoneData(phone)] if phone else []
        return contact_create(
            actor=actor,
            fields={"first_name": first_name, "last_name": last_name, **fields},
            emails=emails,
            phones=phones,
            custom=custom,
        )

    return make


@pytest.fixture
def make_company():
    def make(actor, *, name=None, **fields):
        n = next(_counter)
        return company_create(
            actor=actor, fields={"name": name or f"Firma {n} GmbH", **fields}
        )

    return make


@pytest.fixture
def give_consent():
    """Record consent as staff holding a signed form would:
    ``give_consent(contact, "surveys")`` (for apps that may not import privacy)."""
    from kundig.privacy import services as privacy

    def give(contact, purpose: str, channel: str = "email"):
        return privacy.consent_give(
            actor=None, contact=contact, purpose=purpose, channel=channel,
            evidence=privacy.Evidence(source="staff", note="Signed form"),
        )  # fmt: skip

    return give


@pytest.fixture
def tomorrow():
    return timezone.now() + dt.timedelta(days=1)


class _Inbox:
    """Collects what the local SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        self.messages.append(
            email.message_from_bytes(envelope.content, policy=policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on localhost; Django's SMTP backend sends to it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    import os
    import shutil

    candidates = [os.environ.get("KUNDIG_CHROMIUM"), shutil.which("chromium")]
    candidates += ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
    return next((c for c in candidates if c and os.path.exists(c)), None)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's package) driven by Playwright."""
    import os

    path = chromium_path()
    if path is None:
        pytest.skip(
            "Browser tests need Chromium: install Debian's 'chromium' package "
            "(.ci/run does) or point KUNDIG_CHROMIUM at a Chromium binary."
        )
    # Playwright's sync API keeps an event loop in this thread; the tests
    # still use the ORM synchronously, which is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab in German, on a desktop-sized window."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def sign_in(page, user, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


@pytest.fixture
def sign_in_as(page):
    """Sign ``page`` in as a persona: ``sign_in_as(user)`` (no import needed)."""
    return lambda user: sign_in(page, user)


@pytest.fixture
def persona_password() -> str:
    """The password every persona signs in with."""
    return PASSWORD
