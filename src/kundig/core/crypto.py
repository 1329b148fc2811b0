"""Secrets Kundig must read back (mailbox passwords), encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with a key
derived from ``SECRET_KEY`` by HKDF, so there is no second secret to lose.
``SECRET_KEY_FALLBACKS`` are tried for reading: after a key rotation the old
values still decrypt and :func:`rotate` re-encrypts them under the new key.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"


def digest(secret: str) -> str:
    """SHA-256 hex digest of a secret Kundig only ever compares, never reads back.

    API tokens, magic-link, survey, chat and opt-in tokens and intake keys are
    long random values, so a plain hash (no salt, no stretching) is the right
    tool: the database holds the digest, the plain value goes to its owner once.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class DecryptionError(Exception):
    """A stored secret does not decrypt with the current or a fallback key."""


def _derive(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"kundig-stored-secrets",
        info=b"fernet-v1",
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@cache
def _fernet(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derive(k) for k in (secret_key, *fallbacks)])


def _current() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def encrypt(value: str) -> str:
    """Return ``value`` encrypted; the empty string stays empty."""
    if not value:
        return ""
    return PREFIX + _current().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise DecryptionError("not an encrypted value")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "the secret key changed and the old one is not in "
            "KUNDIG_SECRET_KEY_FALLBACKS"
        ) from exc


def rotate(stored: str) -> str:
    """Re-encrypt ``stored`` under the current key."""
    if not stored:
        return ""
    return PREFIX + _current().rotate(stored[len(PREFIX) :].encode()).decode()
