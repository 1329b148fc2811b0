"""``kundig shop add|api|list``: connect a shop whose webhooks Kundig receives,
and give it the API access that imports its order history."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from kundig.commerce.choices import SalesChannel
from kundig.integrations.choices import Platform
from kundig.integrations.models import ShopConnection, hint

API_HELP = {
    "--api-url": "the shop's base address for pulling its order history, "
    "e.g. https://shop.example.com (Shopify: https://<shop>.myshopify.com)",
    "--api-key": "Shopware: the integration's access key ID; "
    "WooCommerce: the consumer key; Shopify: not needed",
    "--api-secret": "Shopware: the integration's secret access key; WooCommerce: "
    "the consumer secret; Shopify: the Admin API access token. "
    "'-' reads it from standard input (keeps it out of the shell history)",
}


def _api_arguments(parser) -> None:
    for flag, text in API_HELP.items():
        parser.add_argument(flag, help=text)


class Command(BaseCommand):
    help = (
        "Connect a shop (Shopware 6, Shopify, WooCommerce) or list the connected ones."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="connect a shop; prints its webhook URL and secret"
        )
        add.add_argument("--platform", required=True, choices=Platform.values)
        add.add_argument("--name", required=True)
        add.add_argument(
            "--secret",
            help="the signing secret the shop uses (default: a new random one)",
        )
        add.add_argument(
            "--channel", choices=SalesChannel.values, default=SalesChannel.WEB_SHOP
        )
        _api_arguments(add)
        api = sub.add_parser(
            "api", help="set or change the API access of a connected shop"
        )
        api.add_argument("id", type=int, help="the connection's ID (see 'list')")
        _api_arguments(api)
        sub.add_parser("list", help="list the connected shops and their webhook URLs")

    def handle(self, *args, action, **options):
        if action == "list":
            for connection in ShopConnection.objects.all():
                self.stdout.write(
                    f"{connection.pk}\t{connection.platform}\t{connection.name}\t"
                    f"{settings.BASE_URL}{connection.webhook_path()}\t"
                    f"{connection.api_url or '-'}"
                )
            return
        if action == "api":
            connection = ShopConnection.objects.filter(pk=options["id"]).first()
            if connection is None:
                raise CommandError(f"There is no shop connection {options['id']}.")
            self._set_api(connection, options)
            connection.save(update_fields=["api_url", "api_key", "api_secret"])
            self._show_api(connection)
            return
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        secret = options["secret"]
        if secret is not None and len(secret) < 16:
            raise CommandError("--secret must be at least 16 characters long.")
        connection = ShopConnection(
            name=name[:100], platform=options["platform"], channel=options["channel"]
        )
        if secret:
            connection.secret = secret
        self._set_api(connection, options)
        connection.save()
        self.stdout.write(f"Connected {connection}.")
        self.stdout.write(
            f"Webhook URL: {settings.BASE_URL}{connection.webhook_path()}"
        )
        self.stdout.write("Signing secret (enter it in the shop):")
        self.stdout.write(connection.secret)
        self._show_api(connection)

    def _set_api(self, connection: ShopConnection, options) -> None:
        """Take the API options given; a credential is never echoed."""
        url = options.get("api_url")
        if url is not None:
            url = url.strip().rstrip("/")
            if url:
                try:
                    URLValidator(schemes=["http", "https"])(url)
                except ValidationError:
                    raise CommandError(
                        "--api-url must be an http(s) address, "
                        "e.g. https://shop.example.com."
                    ) from None
            connection.api_url = url
        for name in ("api_key", "api_secret"):
            value = options.get(name)
            if value == "-":
                value = sys.stdin.readline()
            if value is not None:
                setattr(connection, name, value.strip())
        needs_key = connection.platform != "shopify"
        if connection.api_url and needs_key and not connection.api_key:
            raise CommandError("--api-key is needed for this platform.")
        if connection.api_url and not connection.api_secret:
            raise CommandError("--api-secret is needed to pull the order history.")

    def _show_api(self, connection: ShopConnection) -> None:
        if not connection.api_url:
            return
        parts = [f"Order history API: {connection.api_url}"]
        if connection.api_key:
            parts.append(f"key {hint(connection.api_key)}")
        parts.append(f"secret {hint(connection.api_secret)} (stored, not shown)")
        self.stdout.write(", ".join(parts))
