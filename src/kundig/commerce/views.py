"""The order page: lines, status history, shipments, returns, revocations, refunds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def order_detail(request, pk: int):
    order = selectors.order_get(user=request.user, pk=pk)
    return render(request, "commerce/order_detail.html", {"order": order})
