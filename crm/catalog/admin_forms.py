"""The form admins edit an ingredient with: its facts, spec rows and price tiers.

The form checks what was typed (numbers are numbers, text fits); the rules of the catalog
(CAS check digit, whole packs, tier grades) live in ``operations.save_ingredient``, whose
problems ``show_problems`` puts beside the fields they concern.
"""

import unicodedata
from decimal import Decimal

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
)
from wtforms.widgets import HiddenInput

from crm.catalog import rules
from crm.catalog.operations import SpecLine, TierLine
from crm.core.forms import DecimalField, Form, IntegerField, SelectField

ROWS_PER_CLICK = 5  # "Add rows" adds up to this many empty rows
BLANK_ROWS_ON_OPEN = 3
NUMBER = "Enter a number, e.g. 25 or 2.5."
_CELL = rules.SPEC_CELL_MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


class PlainDecimalField(DecimalField):
    """A decimal shown without trailing zeros: 25, not 25.000 (as Numeric(12, 3) reads)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", None)
        kwargs.setdefault("invalid_value_message", NUMBER)
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal) and self.places is None:
            return f"{self.data.normalize():f}"
        return super()._value()


class CommaListField(StringField):
    """``USP, FCC`` in the input, ``["USP", "FCC"]`` in ``data``."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [item.strip() for item in valuelist[0].split(",") if item.strip()]

    def pre_validate(self, form):
        # The base form's control-character check reads ``data``, a list here: check the text.
        if any(unicodedata.category(char) == "Cc" for char in "".join(self.raw_data or ())):
            raise StopValidation("This field must be a single line without control characters.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])


class RowList(FieldList):
    """A FieldList that skips odd indices (``specs-²-parameter``: ``"²".isdigit()`` but
    ``int("²")`` fails) instead of failing on them."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


class SpecRowForm(Form):
    class Meta:
        csrf = False  # the enclosing form carries the token

    parameter = StringField("Parameter", filters=[_strip], validators=[_at_most(_CELL)])
    limit = StringField("Limit", filters=[_strip], validators=[_at_most(_CELL)])
    method = StringField("Method", filters=[_strip], validators=[_at_most(_CELL)])


class PriceTierForm(Form):
    class Meta:
        csrf = False

    grade = StringField("Grade", filters=[_strip],
                        validators=[_at_most(rules.GRADE_MAX_LENGTH)])
    min_kg = PlainDecimalField("From (kg)", validators=[Optional()])
    price_per_kg = DecimalField("Price per kg", places=2, validators=[Optional()],
                                invalid_value_message="Enter a price, e.g. 42.50.")
    currency = SelectField("Currency", default="USD",
                           choices=[SelectChoice(c, c) for c in rules.CURRENCIES])


class IngredientForm(Form):
    name = StringField("Name", filters=[_strip],
                       validators=[DataRequired(), _at_most(rules.NAME_MAX_LENGTH)])
    slug = StringField(
        "Slug", filters=[_strip],
        validators=[Optional(), _at_most(rules.SLUG_MAX_LENGTH),
                    Regexp(rules.SLUG_PATTERN,
                           message="Use only lower-case letters a–z, digits and single hyphens, "
                                   "e.g. l-serine.")],
        description="The address: /ingredients/<slug>. Leave empty to make it from the name. "
                    "After a change, the old address redirects to the new one.",
    )
    cas_number = StringField("CAS number", filters=[_strip], validators=[_at_most(20)],
                             description="Optional, e.g. 56-45-1.")
    description = TextAreaField("Description", filters=[_strip],
                                validators=[_at_most(rules.DESCRIPTION_MAX_LENGTH)],
                                description="Plain text, shown on the public spec sheet.")
    grades = CommaListField("Grades", description="Comma-separated, e.g. USP, FCC. Price "
                                                  "tiers are per grade.")
    forms = CommaListField("Forms", description="Comma-separated, e.g. Crystalline, Powder.")
    pack_size_kg = PlainDecimalField("Pack size (kg)", validators=[InputRequired(NUMBER)])
    moq_kg = PlainDecimalField("Minimum order (kg)", validators=[InputRequired(NUMBER)],
                               description="A whole number of packs.")
    lead_time_days = IntegerField(
        "Lead time (days)", default=14, validators=[InputRequired("Enter a number of days.")],
        invalid_value_message="Enter a whole number of days.")
    max_daily_dose_mg = PlainDecimalField(
        "Reference maximum daily dose (mg) — staff only", validators=[Optional()],
        description="Warns sales staff about a customer's dose. Never shown to customers.")
    # The ingredient's version when the form was opened: a save over a newer one is refused.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    featured = BooleanField("Featured on the home page")
    active = BooleanField("Active", default=True,
                          description="Inactive ingredients have no public page.")
    # The labels name the rows in the error summary: "Price tier 2 · Price per kg".
    specs = RowList(FormField(SpecRowForm, "Spec row"), "Specification",
                    max_entries=rules.MAX_SPEC_ROWS)
    price_tiers = RowList(FormField(PriceTierForm, "Price tier"), "Price tiers",
                          max_entries=rules.MAX_PRICE_TIERS)
    add_spec_rows = SubmitField(f"Add {ROWS_PER_CLICK} spec rows")
    add_tier_rows = SubmitField(f"Add {ROWS_PER_CLICK} price tiers")
    save = SubmitField("Save")

    @property
    def adding_rows(self) -> bool:
        """True when one of the "Add rows" buttons sent the form: show it again, save nothing."""
        return bool(self.is_submitted() and (self.add_spec_rows.data or self.add_tier_rows.data))

    def add_blank_rows(self, *, opening: bool = False) -> None:
        """Empty rows to type in: a few when the page opens, more on "Add rows"."""
        for rows, pressed in ((self.specs, self.add_spec_rows.data),
                              (self.price_tiers, self.add_tier_rows.data)):
            count = BLANK_ROWS_ON_OPEN if opening else ROWS_PER_CLICK if pressed else 0
            for _ in range(min(count, rows.max_entries - len(rows.entries))):
                rows.append_entry()

    def values(self) -> dict:
        """The keyword arguments of ``operations.save_ingredient``."""
        names = ("name", "slug", "cas_number", "description", "grades", "forms",
                 "pack_size_kg", "moq_kg", "lead_time_days", "max_daily_dose_mg", "featured",
                 "active")
        values = {name: self[name].data for name in names}
        values["grades"] = values["grades"] or []
        values["forms"] = values["forms"] or []
        values["specs"] = [SpecLine(row.parameter.data or "", row.limit.data or "",
                                    row.method.data or "") for row in self.specs]
        values["tiers"] = [TierLine(row.grade.data or "", row.min_kg.data,
                                    row.price_per_kg.data, row.currency.data)
                           for row in self.price_tiers]
        return values

    def show_saved_version(self, version: int) -> None:
        """After a refused save: carry the version now saved, so that sending the form again
        is a deliberate choice to replace it."""
        self.version.data, self.version.raw_data = version, None

    def show_problems(self, problems) -> None:
        """Put each problem the operation found beside its field (or its row's cell)."""
        rows = {"specs": self.specs, "tiers": self.price_tiers}
        for problem in problems:
            field = self._fields.get(problem.field)
            if problem.field in rows:
                entries = rows[problem.field].entries
                if problem.row is not None and problem.row < len(entries):
                    field = entries[problem.row].form[problem.column or "parameter"]
                else:
                    field = None
            if field is None:
                self.form_errors.append(problem.message)
            else:
                field.errors = [*field.errors, problem.message]
