"""The base form every form of the application derives from."""

import unicodedata
import uuid
from datetime import UTC, datetime

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

_MULTILINE_ALLOWED = {"\n", "\r", "\t"}


def _control_characters(value: str, multiline: bool) -> bool:
    for char in value:
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if unicodedata.category(char) == "Cc":
            return True
    return False


def refuse_control_characters(form, field):
    """Refuse NUL and other control characters; line breaks only in multi-line fields."""
    value = field.data
    if not isinstance(value, str):
        return
    multiline = isinstance(field, TextAreaField)
    if _control_characters(value, multiline):
        if multiline:
            raise ValidationError("Remove the invisible control characters from this text.")
        raise ValidationError("This field must be a single line without control characters.")


class Form(FlaskForm):
    """A FlaskForm whose text fields all refuse control characters."""

    def validate(self, extra_validators=None):
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).append(refuse_control_characters)
        return super().validate(extra_validators=extra)


_TICKET_SALT = "form-ticket"


def issue_form_ticket() -> str:
    """A signed one-time key with the time the form was served, for a hidden field.

    It gives the minimum-fill-time check its start, and makes a resent form (double click,
    back-and-resubmit) recognisable: the key is stored, unique, with what the form created.
    """
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TICKET_SALT).dumps(
        uuid.uuid4().hex
    )


def read_form_ticket(token: str, max_age: int = 2 * 86400) -> tuple[str, float] | None:
    """(one-time key, seconds since the form was served), or None if forged or too old."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TICKET_SALT)
    try:
        key, issued = serializer.loads(token or "", max_age=max_age, return_timestamp=True)
    except BadData:
        return None
    return key, (datetime.now(UTC) - issued).total_seconds()
