"""Writes of shop data. Every way in (API, webhooks, sync, import) calls these.

Each validates first and raises one ``ValidationError`` whose keys name the
fields (``lines.2.quantity``, ``buyer.email``), then writes in one
transaction: the record, its timeline entries, the domain events, and the
customer's figures and lifecycle stage.
"""

from .fulfilment import (
    refund_record,
    return_announce,
    return_record,
    return_step,
    revocation_record,
    shipment_record,
    shipments_flag_late,
)
from .identity import buyer_match, order_reassign
from .inputs import (
    BuyerData,
    LineData,
    OrderData,
    ProductData,
    RefundData,
    ReturnData,
    ReturnLineData,
    RevocationData,
    ShipmentData,
)
from .many import Outcome, orders_record_many
from .orders import OrderResult, order_record
from .products import product_record

__all__ = [
    "BuyerData",
    "LineData",
    "OrderData",
    "OrderResult",
    "Outcome",
    "ProductData",
    "RefundData",
    "ReturnData",
    "ReturnLineData",
    "RevocationData",
    "ShipmentData",
    "buyer_match",
    "order_reassign",
    "order_record",
    "orders_record_many",
    "product_record",
    "refund_record",
    "return_announce",
    "return_record",
    "return_step",
    "revocation_record",
    "shipment_record",
    "shipments_flag_late",
]
