from django.db import models
from django.utils.translation import gettext_lazy as _

# The domain events a subscription may choose. A subscription with no event
# types gets all of them, including ones added to this list later.
EVENT_TYPES: tuple[str, ...] = (
    "order.placed",
    "order.paid",
    "order.cancelled",
    "order.reassigned",
    "shipment.sent",
    "shipment.delivered",
    "shipment.late",
    "product.unavailable",
    "product.stock_changed",
    "revocation.received",
    "return.announced",
    "return.received",
    "return.decided",
    "refund.issued",
    "customer.first_order",
    "contact.created",
    "contact.stage_changed",
    "timeline.entry_added",
)

# Sent only by "Send test event", only to the subscription it was sent from.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


# Statuses the sender still works on.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
