"""Channel secrets at rest: Fernet with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretsUnreadable(RuntimeError):
    """The stored secrets cannot be decrypted (SECRET_KEY changed?)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"publisher-channel-secrets", info=b"fernet-v1"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secrets(secret_key: str, values: dict[str, Any]) -> str | None:
    if not values:
        return None
    return _fernet(secret_key).encrypt(json.dumps(values).encode("utf-8")).decode("ascii")


def decrypt_secrets(secret_key: str, token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet(secret_key).decrypt(token.encode("ascii")))
    except InvalidToken:
        raise SecretsUnreadable(
            "channel secrets cannot be decrypted; was SECRET_KEY changed? re-enter the token"
        ) from None


def reencrypt_secrets(old_key: str, new_key: str, token: str | None) -> str | None:
    """The same secrets under ``new_key``; :class:`SecretsUnreadable` if ``old_key`` is wrong."""
    if not token:
        return token
    return encrypt_secrets(new_key, decrypt_secrets(old_key, token))
