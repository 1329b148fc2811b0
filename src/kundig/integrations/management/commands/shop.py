"""``kundig shop add|list``: connect a shop whose webhooks Kundig receives."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kundig.commerce.choices import SalesChannel
from kundig.integrations.choices import Platform
from kundig.integrations.models import ShopConnection


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
        sub.add_parser("list", help="list the connected shops and their webhook URLs")

    def handle(self, *args, action, **options):
        if action == "list":
            for connection in ShopConnection.objects.all():
                self.stdout.write(
                    f"{connection.pk}\t{connection.platform}\t{connection.name}\t"
                    f"{settings.BASE_URL}{connection.webhook_path()}"
                )
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
        connection.save()
        self.stdout.write(f"Connected {connection}.")
        self.stdout.write(
            f"Webhook URL: {settings.BASE_URL}{connection.webhook_path()}"
        )
        self.stdout.write("Signing secret (enter it in the shop):")
        self.stdout.write(connection.secret)
