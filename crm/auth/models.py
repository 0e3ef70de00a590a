"""Staff accounts and their roles."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.core.types import StrEnum, utcnow
from crm.extensions import db

# werkzeug's scrypt; the test suite swaps in a cheap method to keep hundreds of logins fast.
PASSWORD_HASH_METHOD = "scrypt"


class Role(enum.Enum):
    ADMIN = "admin"
    SALES = "sales"
    MODERATOR = "moderator"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def owner_label(name: str, away_until: date | None, day: date) -> str:
    """A salesperson's name in a choice of owners, marked while they are away on ``day``."""
    if away_until is None or day > away_until:
        return name
    return f"{name} (away until {away_until.strftime('%-d %b')})"


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(StrEnum(Role))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by logout, a password change and deactivation: every older cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The last day of a salesperson's leave: no new lead is routed to them until it has passed.
    away_until: Mapped[date | None]

    territories: Mapped[list["Territory"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Territory.country"
    )

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        """Admins hold every role."""
        return self.role is Role.ADMIN or self.role in roles

    def away_on(self, day: date) -> bool:
        """Whether no new lead is routed to them on ``day``."""
        return self.away_until is not None and day <= self.away_until

    def owner_label(self, day: date) -> str:
        """Their name in a choice of owners: "Sam Seller (away until 5 Dec)" while away."""
        return owner_label(self.name, self.away_until, day)

    @property
    def country_codes(self) -> list[str]:
        return [t.country for t in self.territories]

    @property
    def log_label(self) -> str:
        """What the email log calls the user."""
        return self.name

    @classmethod
    def by_email(cls, email: str):
        return select(cls).where(func.lower(cls.email) == email.strip().lower())

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class Territory(db.Model):
    """A country whose new leads go to this salesperson."""

    __tablename__ = "territories"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="territories")
