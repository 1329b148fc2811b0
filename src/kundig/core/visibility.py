"""Record visibility: which records a user may see (own / team / all).

Every selector that returns records to a user filters with :func:`visible_q`;
a record outside it is treated as not existing (a 404).
"""

from __future__ import annotations

from django.db.models import Q

from .choices import Visibility


def visible_q(user, *, owner: str = "owner", team: str = "team") -> Q:
    """Return the filter for records ``user`` may see.

    ``owner`` and ``team`` are the lookups of the record's owner and team, so
    the same rule serves related records (``contact__owner``).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    scope = user.effective_visibility
    if scope == Visibility.ALL:
        return Q()
    own = Q(**{f"{owner}_id": user.pk})
    if scope == Visibility.OWN or user.team_id is None:
        return own
    return own | Q(**{f"{team}_id": user.team_id})


def can_see(user, record, *, owner: str = "owner", team: str = "team") -> bool:
    """Return whether ``user`` may see an already loaded ``record``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    scope = user.effective_visibility
    if scope == Visibility.ALL:
        return True
    if getattr(record, f"{owner}_id") == user.pk:
        return True
    return (
        scope == Visibility.TEAM
        and user.team_id is not None
        and getattr(record, f"{team}_id") == user.team_id
    )
