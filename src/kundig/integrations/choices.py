from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    SHOPWARE = "shopware", "Shopware 6"
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    PROCESSED = "processed", _("Processed")
    DEFERRED = "deferred", _("Waiting for an earlier message")
    FAILED = "failed", _("Failed")
    IGNORED = "ignored", _("Not needed")
