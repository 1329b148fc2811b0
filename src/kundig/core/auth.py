from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Kundig has no public sign-up: administrators create users."""

    def is_open_for_signup(self, request) -> bool:
        return False
