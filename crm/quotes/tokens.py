"""The customer's link to a quote: 256 random bits, of which only a hash is stored."""

import hashlib
import secrets

from sqlalchemy import select

from crm.quotes.models import Quote


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """(the customer's token, 256 random bits, and the hash we keep)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def find_by_token(session, token: str) -> Quote | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(Quote).where(Quote.token_hash == hash_token(token)))
