from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesChannel(models.TextChoices):
    WEB_SHOP = "web_shop", _("Web shop")
    MARKETPLACE = "marketplace", _("Marketplace")
    STORE = "store", _("Store")
    PHONE = "phone", _("Phone")


class OrderStatus(models.TextChoices):
    """Where an order stands. Only moves forward (see ``STATUS_RANK``)."""

    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# A later message never moves an order back: a "paid" arriving after
# "shipped" (or after a refund) records the payment but keeps the status.
STATUS_RANK = {
    OrderStatus.PLACED: 0,
    OrderStatus.PAID: 1,
    OrderStatus.SHIPPED: 2,
    OrderStatus.DELIVERED: 3,
    OrderStatus.COMPLETED: 4,
    OrderStatus.REFUNDED: 5,
    OrderStatus.CANCELLED: 6,
}


class StockState(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    LOW = "low", _("Low stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    DISCONTINUED = "discontinued", _("Discontinued")


class ReturnStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    LABEL_SENT = "label_sent", _("Return label sent")
    IN_TRANSIT = "in_transit", _("On its way back")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchanged")
    REJECTED = "rejected", _("Rejected")


# How far a return has come; a return only moves forward.
RETURN_RANK = {
    ReturnStatus.ANNOUNCED: 0,
    ReturnStatus.LABEL_SENT: 1,
    ReturnStatus.IN_TRANSIT: 2,
    ReturnStatus.RECEIVED: 3,
    ReturnStatus.INSPECTED: 4,
    ReturnStatus.REFUNDED: 5,
    ReturnStatus.EXCHANGED: 5,
    ReturnStatus.REJECTED: 5,
}
RETURN_DECIDED = 5


class ReturnReason(models.TextChoices):
    DEFECTIVE = "defective", _("Defective")
    DAMAGED = "damaged", _("Damaged in transit")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    SIZE = "size", _("Does not fit")
    CHANGED_MIND = "changed_mind", _("Changed their mind")
    LATE = "late", _("Arrived too late")
    OTHER = "other", _("Other")


class ItemCondition(models.TextChoices):
    UNKNOWN = "", _("Not inspected")
    AS_NEW = "as_new", _("As new")
    USED = "used", _("Used")
    DAMAGED = "damaged", _("Damaged")


class RevocationStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


class MatchRule(models.TextChoices):
    """How an order's buyer was found (or created)."""

    CUSTOMER_ID = "customer_id", _("Shop customer ID")
    EMAIL = "email", _("Email address")
    NAME_POSTCODE = "name_postcode", _("Name and postcode")
    CREATED = "created", _("New contact")
    GIVEN = "given", _("Contact given")
