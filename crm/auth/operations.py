"""Everything that changes a staff account."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import date

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from crm.audit.operations import record_event
from crm.auth.models import Role, Territory, User
from crm.core.types import utcnow
from crm.core.urls import external_url
from crm.notifications import notify

# Checked when the email is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")
RESET_VALID_MINUTES = 60


class AccountError(ValueError):
    """A change to an account that cannot be made; the message is for the user."""


class AwayError(AccountError):
    """A last day away that cannot be taken."""


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session, *, email: str, name: str, role: Role, password: str,
    territories: Iterable[str] = (), active: bool = True, actor: User | None = None,
) -> User:
    """Create a staff account. Raises AccountError when the email is taken."""
    email = _normalise_email(email)
    if session.scalar(User.by_email(email)) is not None:
        raise AccountError(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip(), role=role, active=active)
    user.set_password(password)
    user.territories = [Territory(country=code) for code in sorted(set(territories))]
    session.add(user)
    session.flush()
    record_event(session, actor=actor, action="user.created", obj=user, role=role.value)
    return user


def team_today() -> date:
    """Today in the sales team's time zone (``CRM_WORKING_TIME_ZONE``)."""
    return utcnow().astimezone(current_app.config["CRM_WORKING_TIME_ZONE"]).date()


def check_away_until(until: date | None) -> None:
    if until is not None and until < team_today():
        raise AwayError("Choose today or a later day as the last day away.")


def set_away(session, *, user: User, until: date | None, actor: User) -> bool:
    """Route no new lead to ``user`` until ``until`` has passed (None: back now). Their leads
    stay theirs. Returns whether anything changed."""
    check_away_until(until)
    if user.away_until == until:
        return False
    user.away_until = until
    record_event(session, actor=actor, action="user.away", obj=user,
                 away_until=until.isoformat() if until else None)
    return True


def update_user(
    session, *, user: User, email: str, name: str, role: Role, active: bool,
    territories: Iterable[str], actor: User, away_until: date | None = None,
) -> User:
    """Change a user's details, role, territories, whether the account is active and the
    last day they are away."""
    email = _normalise_email(email)
    other = session.scalar(User.by_email(email))
    if other is not None and other.id != user.id:
        raise AccountError(f"A user with the email {email} already exists.")
    if user.id == actor.id and (role is not Role.ADMIN or not active):
        raise AccountError("You cannot remove your own admin role or deactivate yourself.")
    changes = {}
    if away_until != user.away_until:
        check_away_until(away_until)
    for field, value in (("email", email), ("name", name.strip()), ("role", role),
                         ("active", active), ("away_until", away_until)):
        if getattr(user, field) != value:
            changes[field] = value.isoformat() if isinstance(value, date) else getattr(
                value, "value", value)
            setattr(user, field, value)
    codes = sorted(set(territories))
    if codes != user.country_codes:
        changes["territories"] = codes
        user.territories = [Territory(country=code) for code in codes]
    if "active" in changes or "role" in changes:
        end_sessions(user)
    if changes:
        record_event(session, actor=actor, action="user.updated", obj=user, **changes)
    return user


def authenticate(session, *, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (in constant-ish time)."""
    user = session.scalar(User.by_email(email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(session, *, user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one; ends every other session."""
    if not user.check_password(current_password):
        raise AccountError("The current password is wrong.")
    set_password(session, user=user, password=new_password, actor=user)


def set_password(session, *, user: User, password: str, actor: User | None) -> None:
    user.set_password(password)
    end_sessions(user)
    record_event(session, actor=actor, action="user.password_changed", obj=user)


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued to this user so far."""
    user.session_version = (user.session_version or 1) + 1


def load_session_user(session, token: str) -> User | None:
    """The user a session cookie names, if the account is active and the session current."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def active_users(session, role: Role | None = None):
    query = select(User).where(User.active.is_(True)).order_by(User.name)
    if role is not None:
        query = query.where(User.role == role)
    return session.scalars(query).all()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # The hash is salted afresh by every password change, so a used link stops matching.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def password_reset_token(user: User) -> str:
    """A signed token naming the user and their current password; see ``user_for_reset_token``."""
    return _reset_serializer().dumps({"u": user.id, "h": _password_fingerprint(user)})


def user_for_reset_token(session, token: str) -> User | None:
    """The active user a reset token names, if it is genuine, recent and not used yet."""
    try:
        data = _reset_serializer().loads(token, max_age=RESET_VALID_MINUTES * 60)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(
        data.get("h"), str
    ):
        return None
    user = session.get(User, data["u"])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(data["h"], _password_fingerprint(user)):
        return None
    return user


def request_password_reset(session, *, email: str):
    """Queue a password-reset link to the active user with this email; nothing for anyone else.

    Returns the queued outbox row or None; the caller must answer the same either way, so
    the page does not tell who has an account. Needs a request context (to build the link).
    """
    user = session.scalar(User.by_email(email))
    if user is None or not user.active:
        return None
    token = password_reset_token(user)
    reset_url = external_url(url_for("auth.reset_password", token=token))
    record_event(session, actor=None, action="user.password_reset_requested", obj=user)
    return notify(
        session, template="password_reset", to=user.email,
        key=f"password-reset:{user.id}:{secrets.token_hex(8)}",
        context={"user": user, "reset_url": reset_url, "valid_minutes": RESET_VALID_MINUTES},
        related=user,
    )
