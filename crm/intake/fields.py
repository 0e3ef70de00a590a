"""Field types and validators of the quote-request form."""

from datetime import timedelta
from urllib.parse import urlsplit

from wtforms import (
    FieldList,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core.forms import DecimalField, IntegerField
from crm.core.text import one_line
from crm.core.types import utcnow
from crm.intake.requests import LineRequest

SOURCE_PAGE_LENGTH = 500
OTHER = "other"  # the ingredient choice for a line not in the catalog


def at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def single_line(limit: int):
    """A filter for hidden fields nobody types in: drop control characters and cut to size."""
    def clean(value):
        return one_line(value, limit) if isinstance(value, str) else value
    return clean


def http_url_or_none(value: str | None) -> str | None:
    """``value`` when it is a plain http(s) address (cut to 500 characters), else None."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value[:SOURCE_PAGE_LENGTH]


def decimal_field(label: str, *validators, **kwargs) -> DecimalField:
    return DecimalField(label, validators=[Optional(), *validators], places=None,
                        invalid_value_message="Enter a number, e.g. 500 or 2.5.", **kwargs)


def whole_number_field(label: str, low: int, high: int, **kwargs) -> IntegerField:
    message = f"Enter a whole number from {low:,} to {high:,}."
    return IntegerField(label, validators=[Optional(), NumberRange(low, high, message)],
                        invalid_value_message=message, **kwargs)


def choices_with_prompt(values, prompt: str) -> list[SelectChoice]:
    return [SelectChoice("", prompt)] + [SelectChoice(v, v[:1].upper() + v[1:]) for v in values]


def not_in_the_past(form, field):
    # A day's grace: "today" in the submitter's time zone may be yesterday in UTC.
    today = utcnow().date()
    if field.data and field.data < today - timedelta(days=1):
        raise ValidationError("Choose a date from today on.")
    if field.data and field.data > today + timedelta(days=3660):
        raise ValidationError("Choose a date within the next ten years.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LineList(FieldList):
    """A FieldList that skips odd indices (``lines-²-x``: ``"²".isdigit()`` but ``int("²")``
    fails) instead of failing on them."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


def line_request(line) -> LineRequest:
    """The plain-value line the intake operation takes, from a filled line form."""
    other = line.ingredient.data == OTHER
    return LineRequest(
        ingredient_slug=None if other else line.ingredient.data,
        free_text=line.other.data if other else None,
        grade=line.grade.data or None, form=line.form.data or None,
        quantity_kg=None if line.compute.data else line.quantity_kg.data,
        compute=bool(line.compute.data), dose_mg=line.dose_mg.data,
    )
