"""The base form every form of the application derives from, its <select>, and the
validator of amounts."""

import unicodedata
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

import wtforms
from flask import current_app, render_template
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import Markup, escape
from wtforms import FieldList, StringField, TextAreaField
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import HiddenInput, Select, TextInput, html_params

_MULTILINE_ALLOWED = {"\n", "\r", "\t"}
ErrorEntry = tuple[str | None, str, str]  # (field id, label, message) of an error summary
FORM_EXPIRED = "The form had expired. Please send it again."
NOT_A_NUMBER = "Enter a number, e.g. 500 or 2.5."


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


class DecimalField(wtforms.DecimalField):
    """A decimal typed as text, not as ``<input type="number">``: a browser sends a number it
    cannot read ("1,000", "42,50") empty, which the form would take for "left blank" (a price
    left to the tier, a value cleared). As text it reaches the form, which says what is wrong.
    Phones still show their number pad (``inputmode``)."""

    widget = TextInput()

    def __init__(self, *args, render_kw=None, **kwargs):
        kwargs.setdefault("invalid_value_message", NOT_A_NUMBER)
        super().__init__(*args, render_kw={"inputmode": "decimal", **(render_kw or {})},
                         **kwargs)


class IntegerField(wtforms.IntegerField):
    """A whole number typed as text, for the same reason as ``DecimalField``."""

    widget = TextInput()

    def __init__(self, *args, render_kw=None, **kwargs):
        kwargs.setdefault("invalid_value_message", "Enter a whole number, e.g. 12.")
        super().__init__(*args, render_kw={"inputmode": "numeric", **(render_kw or {})},
                         **kwargs)


class Amount:
    """A finite decimal above ``above`` (or from ``at_least``), up to ``at_most``, with at most
    ``places`` decimals. One message for the range, so the person sees the rule at once."""

    def __init__(self, *, at_most: Decimal, message: str, above=None, at_least=None,
                 places: int = 3):
        self.above, self.at_least, self.at_most = above, at_least, at_most
        self.message, self.places = message, places

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        if not value.is_finite():
            raise StopValidation(NOT_A_NUMBER)
        if (self.above is not None and value <= self.above) or (
                self.at_least is not None and value < self.at_least) or value > self.at_most:
            raise StopValidation(self.message)
        if value != value.quantize(Decimal(1).scaleb(-self.places)):  # 1.5000 is fine
            raise StopValidation(f"Use at most {self.places} decimal places.")


class Form(FlaskForm):
    """A FlaskForm whose text fields all refuse control characters."""

    def form_level_errors(self) -> list[ErrorEntry]:
        """The errors of the form as a whole (and an expired CSRF token), which no field
        shows: first in the error summary, with nothing to jump to."""
        errors = [(None, "", message) for message in self.form_errors]
        if "csrf_token" in self._fields and self.csrf_token.errors:
            errors.append((None, "", FORM_EXPIRED))
        return errors

    def error_list(self) -> list[ErrorEntry]:
        """The form's errors, then (field id, label, first message) of each field with an
        error, in the form's order, for an error summary at the top of the page; no id for a
        hidden field, which has nothing to jump to. A list of subforms gives each entry's
        fields, named after the entry ("Line 2 · Quantity (kg)"; a field labelled as its
        entry is the entry alone: "Ingredient 2")."""
        errors = self.form_level_errors()
        for field in self:
            if isinstance(field, FieldList):
                errors += _entry_errors(field)
            elif field.errors and field.name != "csrf_token":
                errors.append((_link(field), field.label.text, field.errors[0]))
        return errors

    def validate(self, extra_validators=None):
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).append(refuse_control_characters)
        return super().validate(extra_validators=extra)


def _link(field) -> str | None:
    return None if isinstance(field.widget, HiddenInput) else field.id


def _entry_errors(entries: FieldList) -> list[ErrorEntry]:
    """The errors of a FieldList of FormFields: the list's own (linked to its first entry),
    then each entry's; a hidden field's links to its entry's first visible field."""
    firsts = [next(filter(None, map(_link, entry)), None) for entry in entries]
    errors = [(firsts[0] if firsts else None, entries.label.text, message)
              for message in entries.errors if isinstance(message, str)]
    for position, (entry, first) in enumerate(zip(entries, firsts, strict=True), start=1):
        name = f"{entry.label.text} {position}"
        errors += [(first, name, field.errors[0]) if _link(field) is None
                   else (field.id, _entry_field_name(name, entry, field), field.errors[0])
                   for field in entry if field.errors]
    return errors


def _entry_field_name(name: str, entry, field) -> str:
    if field.label.text == entry.label.text:  # "Ingredient 2", not "Ingredient 2 · Ingredient"
        return name
    return f"{name} · {field.label.text}"


class LeanSelect(Select):
    """WTForms' <select>, each option written as one string. The stock widget builds every
    option's attributes through ``html_params``: a country list then took about 5 ms to
    draw, and the lead list's filter bar cost more than its fifty rows."""

    def __call__(self, field, **kwargs):
        return self.select(field, "".join(map(_option, field.iter_choices())), kwargs)

    def select(self, field, options: str, kwargs: dict) -> Markup:
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = True
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


class FixedSelect(LeanSelect):
    """A <select> over a long list fixed when the form is defined (the ~250 countries): its
    options are written once per process, and a page only marks the chosen one."""

    def __init__(self, choices: list[SelectChoice]):
        super().__init__()
        self.options = "".join(_option(Choice(c.value, c.label, False, c.render_kw))
                               for c in choices)

    def __call__(self, field, **kwargs):
        chosen = f'<option value="{escape(field.data or "")}">'
        return self.select(field, self.options.replace(chosen, chosen[:-1] + " selected>", 1),
                           kwargs)


def _option(choice: Choice) -> str:
    extra = f" {html_params(**choice.render_kw)}" if choice.render_kw else ""
    selected = " selected" if choice.selected else ""
    return (f'<option value="{escape(choice.value)}"{extra}{selected}>'
            f"{escape(choice.label or choice.value)}</option>")


class SelectField(WTFormsSelectField):
    """The application's single-choice <select>: WTForms' field, drawn by ``LeanSelect``."""

    widget = LeanSelect()


class FixedSelectField(SelectField):
    """A ``SelectField`` whose choices are fixed when the form is defined; ``values`` holds
    their (coerced) values. WTForms checks a value by building an option for every choice
    and comparing each, ~250 of them for the countries on every post; a set look-up gives
    the same answer."""

    def __init__(self, *args, values: frozenset, **kwargs):
        super().__init__(*args, **kwargs)
        self.values = values

    def pre_validate(self, form):
        if self.process_errors or not self.validate_choice:
            return
        if self.data not in self.values:
            raise ValidationError(self.invalid_choice_message
                                  or self.gettext("Not a valid choice."))


def fixed_select_field(label: str, choices: list[SelectChoice], **kwargs) -> FixedSelectField:
    """A ``FixedSelectField`` over ``choices``, drawn by a ``FixedSelect``; both do their
    work over the choices once per process."""
    coerce = kwargs.get("coerce", str)
    return FixedSelectField(label, choices=choices, widget=FixedSelect(choices),
                            values=frozenset(coerce(c.value) for c in choices), **kwargs)


_TICKET_SALT = "form-ticket"


@lru_cache(maxsize=4)
def _ticket_serializer(secret_key: str) -> URLSafeTimedSerializer:
    """The tickets' serializer, built once per key: building it cost more than using it."""
    return URLSafeTimedSerializer(secret_key, salt=_TICKET_SALT)


def issue_form_ticket() -> str:
    """A signed one-time key with the time the form was served, for a hidden field.

    It gives the minimum-fill-time check its start, and makes a resent form (double click,
    back-and-resubmit) recognisable: the key is stored, unique, with what the form created.
    """
    return _ticket_serializer(current_app.config["SECRET_KEY"]).dumps(uuid.uuid4().hex)


def read_form_ticket(token: str, max_age: int = 2 * 86400) -> tuple[str, float] | None:
    """(one-time key, seconds since the form was served), or None if forged or too old."""
    try:
        key, issued = _ticket_serializer(current_app.config["SECRET_KEY"]).loads(
            token or "", max_age=max_age, return_timestamp=True)
    except BadData:
        return None
    return key, (datetime.now(UTC) - issued).total_seconds()


def render_form_page(template: str, form: Form, **context):
    """The page of ``form``: 200, or 400 when it came back with errors, which its error
    summary lists (``errors``)."""
    errors = form.error_list()
    return render_template(template, form=form, errors=errors, **context), 400 if errors else 200
