"""Outgoing webhooks: other systems subscribe to Kundig's domain events."""
