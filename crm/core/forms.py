"""The base form every form of the application derives from."""

import unicodedata

from flask_wtf import FlaskForm
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
