"""Forms of the quote builder (staff) and of the customer's quote page."""

from decimal import Decimal

import wtforms
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from crm.catalog.rules import MAX_KG, MAX_PRICE_PER_KG
from crm.core.database import MAX_ROW_ID
from crm.core.forms import (
    Amount,
    DecimalField,
    Form,
    IntegerField,
    SelectField,
    refuse_control_characters,
)
from crm.quotes import queries
from crm.quotes.models import CURRENCIES, INCOTERMS, Quote
from crm.quotes.operations import LineInput


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _plain(value: Decimal) -> Decimal:
    """``Decimal("300.000")`` → ``Decimal("300")`` (``normalize()`` alone gives ``3E+2``)."""
    return Decimal(f"{value.normalize():f}")


def _typed_price(line) -> Decimal | None:
    """The price as staff typed it: blank for the tier price (so that it follows the
    quantity) and for a line nobody priced yet (0 without a tier)."""
    if line.price_per_kg == line.list_price_per_kg:
        return None
    if line.list_price_per_kg is None and not line.price_per_kg:
        return None
    return line.price_per_kg


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def _line_text(label: str, limit: int, **kwargs) -> StringField:
    """A text field of a line; a line is a plain wtforms form, which ``crm.core.forms.Form``
    does not reach, so it refuses control characters itself."""
    return StringField(label, filters=[_strip], validators=[
        Optional(), _at_most(limit), refuse_control_characters], **kwargs)


def _hidden_id() -> IntegerField:
    """The catalog ingredient or the requested line a line came from, as the page sent it."""
    broken = "This line's link is broken: reload the page."
    return IntegerField(widget=HiddenInput(), invalid_value_message=broken,
                        validators=[Optional(), NumberRange(1, MAX_ROW_ID, broken)])


class QuoteLineForm(wtforms.Form):
    """One line of the builder. A wholly empty row (the spare one) is skipped."""

    description = _line_text("Ingredient", 200)
    grade = _line_text("Grade", 40)
    quantity_kg = DecimalField("Quantity (kg)", places=None, validators=[Optional(), Amount(
        above=0, at_most=MAX_KG, message=f"Enter a quantity above 0 and up to {MAX_KG:,} kg.")])
    price_per_kg = DecimalField(
        "Price per kg", places=None, validators=[Optional(), Amount(
            at_least=0, at_most=MAX_PRICE_PER_KG, places=2,
            message=f"Enter a price from 0 up to {MAX_PRICE_PER_KG:,} per kg.")],
        description="Blank: the tier price for the quantity.")
    override_reason = _line_text(
        "Why this price", 200, description="Staff only; needed when the price is not the tier's.")
    discount_pct = DecimalField("Discount %", places=None, default=Decimal(0), validators=[
        Optional(), Amount(at_least=0, at_most=Decimal("99.99"), places=2,
                           message="From 0 to 99.99 %.")])
    remove = BooleanField("Remove")
    ingredient_id = _hidden_id()
    requested_ingredient_id = _hidden_id()

    @property
    def is_blank(self) -> bool:
        return not self.description.data and self.quantity_kg.data is None \
            and self.price_per_kg.data is None

    @property
    def is_kept(self) -> bool:
        return not (self.is_blank or self.remove.data)

    def validate(self, extra_validators=None):
        if self.remove.data:  # going away: whatever it holds does not matter
            return True
        if not super().validate(extra_validators):
            return False
        if self.is_blank:
            return True
        if not self.description.data:
            self.description.errors.append("Name the ingredient.")
        if self.quantity_kg.data is None:
            self.quantity_kg.errors.append("Enter the quantity in kg.")
        return not (self.description.errors or self.quantity_kg.errors)

    def to_line(self) -> LineInput:
        return LineInput(
            description=self.description.data, grade=self.grade.data or None,
            quantity_kg=self.quantity_kg.data, price_per_kg=self.price_per_kg.data,
            override_reason=self.override_reason.data or "",
            discount_pct=self.discount_pct.data or Decimal(0),
            ingredient_id=self.ingredient_id.data,
            requested_ingredient_id=self.requested_ingredient_id.data,
        )


class QuoteForm(Form):
    """A draft quote: its terms and its lines (totals are computed, never typed)."""

    currency = SelectField("Currency", choices=CURRENCIES,
                           validators=[InputRequired("Choose a currency.")])
    incoterm = SelectField("Incoterm", choices=INCOTERMS,
                           validators=[InputRequired("Choose an Incoterm.")])
    incoterm_place = StringField("Named place", filters=[_strip], validators=[_at_most(100)],
                                 description="The port or address the Incoterm names.")
    payment_terms = StringField("Payment terms", filters=[_strip], validators=[
        DataRequired("Say how the customer pays."), _at_most(200)])
    valid_until = DateField("Valid until", validators=[InputRequired("Give a date.")])
    notes = TextAreaField("Notes to the customer", filters=[_strip],
                          validators=[_at_most(2000)],
                          description="Printed on the quote the customer sees.")
    lines = FieldList(FormField(QuoteLineForm, "Line"), min_entries=1, max_entries=50)
    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired("This form is out of date. Reload the page and try again.")])
    send = SubmitField("Send to customer")  # save, then send: what is on screen is sent

    @classmethod
    def for_quote(cls, quote: Quote) -> "QuoteForm":
        """The form filled from a saved draft, with one spare row for a new line."""
        lines = [{
            "description": line.description, "grade": line.grade,
            "quantity_kg": _plain(line.quantity_kg),
            "price_per_kg": _typed_price(line),
            "override_reason": line.override_reason, "discount_pct": line.discount_pct,
            "ingredient_id": line.ingredient_id,
            "requested_ingredient_id": line.requested_ingredient_id,
        } for line in quote.lines]
        return cls(formdata=None, currency=quote.currency, incoterm=quote.incoterm,
                   incoterm_place=quote.incoterm_place, payment_terms=quote.payment_terms,
                   valid_until=quote.valid_until, notes=quote.notes, lines=[*lines, {}],
                   version=quote.version)

    def as_of(self, quote: Quote) -> "QuoteForm":
        """After a refused save: what was typed stays, now carrying the quote's current
        version, so that saving it again is a choice made knowing of the other change."""
        self.version.data, self.version.raw_data = quote.version, None
        return self

    def validate_lines(self, field):
        if not any(entry.form.is_kept for entry in field.entries):
            raise wtforms.validators.ValidationError("A quote needs at least one line.")

    def line_inputs(self) -> list[LineInput]:
        return [entry.form.to_line() for entry in self.lines.entries if entry.form.is_kept]

    def terms(self) -> dict:
        return {"currency": self.currency.data, "incoterm": self.incoterm.data,
                "incoterm_place": self.incoterm_place.data or "",
                "payment_terms": self.payment_terms.data, "valid_until": self.valid_until.data,
                "notes": self.notes.data or "", "expected_version": self.version.data}


class AcceptForm(Form):
    name = StringField("Your full name", filters=[_strip], validators=[
        DataRequired("Type your full name to accept."), _at_most(100)])
    agree = BooleanField("I accept this quote and its terms", validators=[
        DataRequired("Tick the box to accept the quote.")])


class DeclineForm(Form):
    reason = TextAreaField("Why not? (optional)", filters=[_strip], validators=[_at_most(500)],
                           description="It helps us make a better offer next time.")


class QuoteFilterForm(Form):
    """The filters above the quotes list (a GET form: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    view = SelectField("Show", default=queries.DEFAULT_VIEW,
                       choices=[SelectChoice(name, view[0])
                                for name, view in queries.VIEWS.items()])
    owner = SelectField("Owner", default="", choices=[SelectChoice("", "Anyone's leads"),
                                                      SelectChoice("me", "My leads")])
    q = wtforms.SearchField(
        "Search", filters=[_strip],
        validators=[Optional(), Length(max=100), refuse_control_characters],
        description="A quote number, or the lead’s company, contact, email or reference.")

    def filters(self, *, me_id: int) -> queries.QuoteFilters:
        """The valid filters after ``validate()``; a field with an error filters nothing."""
        view, owner, q = (field.data if field.data and not field.errors else None
                          for field in (self.view, self.owner, self.q))
        return queries.QuoteFilters(view=view or queries.DEFAULT_VIEW, mine=owner == "me",
                                    me_id=me_id, q=q)
