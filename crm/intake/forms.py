"""The public quote-request form (field names are part of the public contract, DESIGN.md).

The form checks what was typed; it knows nothing of leads or spam. ``to_request`` turns what
it accepted into the plain ``QuoteRequest`` the intake operation takes.
"""

import json
from decimal import Decimal

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FormField,
    HiddenField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Optional,
)

from crm.auth.forms import COUNTRY_CHOICES
from crm.catalog.rules import MAX_KG
from crm.core.forms import Amount, Form, SelectField, fixed_select_field
from crm.intake.fields import (
    OTHER,
    SOURCE_PAGE_LENGTH,
    LineList,
    MultiCheckboxField,
    at_most,
    choices_with_prompt,
    decimal_field,
    http_url_or_none,
    line_request,
    not_in_the_past,
    single_line,
    strip_text,
    whole_number_field,
)
from crm.intake.requests import (
    COMPANY_TYPES,
    DOCUMENTS,
    FORMULATION_TYPES,
    PROJECT_STAGES,
    QuoteRequest,
)

MAX_LINES = 10
LINE_SLOTS = 3  # line slots shown without JavaScript
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_LENGTH = 200
NOT_SUBMITTED = {"csrf_token", "ticket", "website"}  # left out of ``submitted``


class LineForm(Form):
    """One ingredient line: a catalog ingredient (or "other"), and kilograms or a plan."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    ingredient = SelectField("Ingredient", choices=[], validators=[Optional()])
    other = StringField("If other, which ingredient?", filters=[strip_text],
                        validators=[Optional(), at_most(200)])
    grade = StringField("Grade", filters=[strip_text], validators=[Optional(), at_most(40)],
                        description="e.g. USP, FCC")
    form = StringField("Form", filters=[strip_text], validators=[Optional(), at_most(60)],
                       description="e.g. powder, granular")
    quantity_kg = decimal_field(
        "Quantity (kg)",
        Amount(above=0, at_most=MAX_KG,
               message=f"Enter a quantity above 0 and up to {MAX_KG:,} kg."),
    )
    compute = BooleanField("Compute the kilograms from my product plan")
    dose_mg = decimal_field(
        "Dose of this ingredient per serving (mg)",
        Amount(above=0, at_most=Decimal(100_000),
               message="Enter a dose above 0 and up to 100,000 mg."),
        description="Only if it differs from the dose under Your product.",
    )

    @property
    def is_blank(self) -> bool:
        return not any((self.ingredient.data, self.other.data, self.grade.data, self.form.data,
                        self.quantity_kg.raw_data and self.quantity_kg.raw_data[0].strip(),
                        self.dose_mg.raw_data and self.dose_mg.raw_data[0].strip()))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.is_blank:
            return valid
        if not self.ingredient.data:
            self.ingredient.errors.append("Choose an ingredient for this line, or clear it.")
            return False
        if self.ingredient.data == OTHER and not self.other.data:
            self.other.errors.append("Tell us which ingredient you need.")
            valid = False
        if self.compute.data and self.quantity_kg.data is not None:
            self.quantity_kg.errors.append(
                "Give a quantity or tick “compute from my product plan”, not both.")
            valid = False
        elif not self.compute.data and self.quantity_kg.data is None \
                and not self.quantity_kg.errors:
            self.quantity_kg.errors.append(
                "Give a quantity in kg, or tick “compute from my product plan”.")
            valid = False
        return valid


class QuoteRequestForm(Form):
    """The quote request, in four steps: you, your product, the ingredients, documents."""

    # 1 · You
    company = StringField("Company", filters=[strip_text], validators=[
        InputRequired("Tell us your company's name."), at_most(200)])
    name = StringField("Your name", filters=[strip_text], validators=[
        InputRequired("Tell us your name."), at_most(100)])
    email = EmailField("Work email", filters=[strip_text], validators=[
        InputRequired("We need your email to reply."), at_most(254),
        Email("Enter a valid email address, e.g. ana@company.com.")])
    phone = StringField("Phone", filters=[strip_text], validators=[Optional(), at_most(40)])
    job_title = StringField("Job title", filters=[strip_text],
                            validators=[Optional(), at_most(100)])
    company_type = SelectField("Your company is a", validators=[Optional()],
                               choices=choices_with_prompt(COMPANY_TYPES, "Choose one (optional)"))
    country = fixed_select_field(
        "Country", [SelectChoice("", "Choose your country"), *COUNTRY_CHOICES],
        validators=[InputRequired("Choose your country.")])

    # 2 · Your product
    formulation_type = SelectField(
        "Product format", validators=[Optional()],
        choices=choices_with_prompt(FORMULATION_TYPES, "Choose one (optional)"))
    dose_mg = decimal_field(
        "Dose per serving (mg)",
        Amount(above=0, at_most=Decimal(100_000),
               message="Enter a dose above 0 and up to 100,000 mg."),
        description="e.g. 500 for 500 mg per capsule",
    )
    servings_per_unit = whole_number_field("Servings per unit", 1, 10_000,
                               description="e.g. 60 capsules per bottle")
    units = whole_number_field("Units in the production run", 1, 100_000_000,
                   description="e.g. 10000 bottles")
    overage_pct = decimal_field(
        "Overage (%)",
        Amount(at_least=0, at_most=Decimal(100), places=2,
               message="Enter a percentage from 0 to 100."),
        default=Decimal(0), description="Extra for losses in production; 0 if none.",
    )
    target_market = StringField("Target market", filters=[strip_text],
                                validators=[Optional(), at_most(100)],
                                description="e.g. United States, EU")
    project_stage = SelectField(
        "Project stage", validators=[Optional()],
        choices=choices_with_prompt(PROJECT_STAGES, "Choose one (optional)"))
    target_launch = DateField("Target launch date", validators=[Optional(), not_in_the_past])

    # 3 · Ingredients (the label names each line in the error summary: "Ingredient 2 · Grade")
    lines = LineList(FormField(LineForm, "Ingredient"), "Ingredients", min_entries=1,
                     max_entries=MAX_LINES)

    # 4 · Documents and samples
    documents = MultiCheckboxField("Documents you need",
                                   choices=[SelectChoice(k, v) for k, v in DOCUMENTS.items()])
    sample_wanted = BooleanField("Send me a sample")
    message = TextAreaField("Anything else we should know?", filters=[strip_text],
                            validators=[Optional(), at_most(5000)])
    # The template draws the sentence people agree to, with its link to the privacy notice.
    consent = BooleanField("Consent",
                           validators=[InputRequired("Tick this box so that we may reply.")])

    ticket = HiddenField(filters=[single_line(1000)])
    source_page = HiddenField(filters=[single_line(SOURCE_PAGE_LENGTH)])
    utm_source = HiddenField(filters=[single_line(UTM_LENGTH)])
    utm_medium = HiddenField(filters=[single_line(UTM_LENGTH)])
    utm_campaign = HiddenField(filters=[single_line(UTM_LENGTH)])
    utm_term = HiddenField(filters=[single_line(UTM_LENGTH)])
    utm_content = HiddenField(filters=[single_line(UTM_LENGTH)])
    # Hidden from people by CSS; bots that fill every field give themselves away.
    website = StringField("Leave this field empty", filters=[single_line(1000)])

    def __init__(self, *args, ingredients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.ingredients = list(ingredients)
        self.ingredient_choices = [SelectChoice("", "Choose an ingredient")] + [
            SelectChoice(i.slug, i.name, render_kw={
                "data-pack-size-kg": f"{i.pack_size_kg.normalize():f}",
                "data-grades": json.dumps(list(i.grades or [])),
                "data-forms": json.dumps(list(i.forms or [])),
            }) for i in self.ingredients
        ] + [SelectChoice(OTHER, "Other (describe it)")]
        for entry in self.lines:
            entry.form.ingredient.choices = self.ingredient_choices

    # -- filling in and laying out ------------------------------------------------------

    def prefill(self, *, ingredient: str | None, query: dict, referrer: str | None) -> None:
        """A new form: an ingredient from ``?ingredient=``, UTM tags and the page before."""
        if ingredient and any(i.slug == ingredient for i in self.ingredients):
            self.lines[0].ingredient.data = ingredient
        for name in UTM_FIELDS:
            self[name].data = single_line(UTM_LENGTH)(query.get(name) or "")
        self.source_page.data = http_url_or_none(referrer) or ""

    def pad_lines(self, slots: int = LINE_SLOTS) -> None:
        """Empty line slots up to ``slots``, so people without JavaScript can add lines."""
        while len(self.lines) < min(slots, MAX_LINES):
            self.lines.append_entry().form.ingredient.choices = self.ingredient_choices

    def blank_line(self) -> LineForm:
        """An unbound line named ``lines-__index__-…``: the template contact.js copies."""
        line = LineForm(formdata=None, prefix="lines-__index__-")
        line.ingredient.choices = self.ingredient_choices
        return line

    def catalog_values(self, line: LineForm, attribute: str) -> list[str]:
        """Grades or forms to suggest for a line: its ingredient's, else every ingredient's."""
        chosen = [i for i in self.ingredients if i.slug == line.ingredient.data]
        values = []
        for ingredient in chosen or self.ingredients:
            values += [v for v in getattr(ingredient, attribute) or [] if v not in values]
        return values

    # -- validation ---------------------------------------------------------------------

    def filled_lines(self) -> list[LineForm]:
        return [entry.form for entry in self.lines if not entry.form.is_blank]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        lines = self.filled_lines()
        if not lines:
            self.lines[0].form.ingredient.errors.append("Choose at least one ingredient.")
            return False
        for position, line in enumerate(lines, start=1):
            if line.compute.data and not self._plan_complete(line, position):
                valid = False
        return valid

    def _plan_complete(self, line: LineForm, position: int) -> bool:
        """Add "needed" to each empty plan field a computed line relies on."""
        needed = f"Needed to compute the kilograms of ingredient {position}."
        plan = [self.servings_per_unit, self.units]
        if line.dose_mg.data is None:  # a line's own dose stands in for the plan's
            plan.insert(0, self.dose_mg)
        missing = [field for field in plan if field.data is None]
        for field in missing:
            if not field.errors:
                field.errors.append(needed)
        if missing and not line.compute.errors:
            line.compute.errors.append("To compute the kilograms, fill in the dose, servings "
                                       "per unit and units under “Your product”.")
        return not missing

    # -- the plain request --------------------------------------------------------------

    def to_request(self, formdata) -> QuoteRequest:
        """The validated form as a ``QuoteRequest``; ``formdata`` is the request's form, kept
        as sent (less the token, ticket and honeypot) in ``submitted``."""
        submitted = {key: values for key, values in formdata.to_dict(flat=False).items()
                     if key not in NOT_SUBMITTED}
        return QuoteRequest(
            company=self.company.data, name=self.name.data, email=self.email.data,
            country=self.country.data, consent=bool(self.consent.data),
            phone=self.phone.data or None, company_type=self.company_type.data or None,
            job_title=self.job_title.data or None,
            formulation_type=self.formulation_type.data or None,
            dose_mg=self.dose_mg.data, servings_per_unit=self.servings_per_unit.data,
            units=self.units.data, overage_pct=self.overage_pct.data,
            target_market=self.target_market.data or None,
            project_stage=self.project_stage.data or None,
            target_launch=self.target_launch.data,
            lines=[line_request(line) for line in self.filled_lines()],
            documents=list(self.documents.data or []),
            sample_wanted=bool(self.sample_wanted.data), message=self.message.data or "",
            source_page=http_url_or_none(self.source_page.data),
            utm={name: self[name].data for name in UTM_FIELDS if self[name].data},
            submitted=submitted,
        )
