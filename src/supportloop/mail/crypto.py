"""Encryption of stored mailbox credentials with Fernet (AES-128-CBC + HMAC-SHA256).

The key is SUPPORTLOOP_CREDENTIALS_KEY (a Fernet key, or any string, which is stretched) or, when unset,
derived from SECRET_KEY. Rotating SECRET_KEY without setting SUPPORTLOOP_CREDENTIALS_KEY makes stored
passwords unreadable: set the password again (or reference an environment variable instead).
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from supportloop.core.errors import ValidationFailed


def _fernet() -> Fernet:
    configured = getattr(settings, "SUPPORTLOOP_CREDENTIALS_KEY", None)
    if configured:
        try:
            return Fernet(configured.encode() if isinstance(configured, str) else configured)
        except ValueError:
            material = configured
    else:
        material = settings.SECRET_KEY
    # A purpose-specific key, so the stored secret is not decryptable with the bare SECRET_KEY hash.
    digest = hashlib.sha256(b"supportloop.mail.credentials:" + str(material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValidationFailed(
            "The stored mailbox password cannot be decrypted with the current key; set it again.",
            errors={"imap_password": "undecryptable"},
        ) from exc


def mailbox_password(mailbox) -> str:
    """The IMAP password: from the named environment variable if set, else the stored encrypted one."""
    if mailbox.imap_password_env:
        value = os.environ.get(mailbox.imap_password_env)
        if not value:
            raise ValidationFailed(
                f"Environment variable {mailbox.imap_password_env} is not set.", errors={"imap_password_env": "not set"}
            )
        return value
    return secret_decrypt(mailbox.imap_password_encrypted)
