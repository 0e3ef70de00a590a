"""The filter form above the lead list and board (a GET form: no CSRF token, nothing changes)."""

from wtforms import DateField, HiddenField, SearchField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.auth.forms import COUNTRY_CHOICES
from crm.core.forms import Form, SelectField, fixed_select_field
from crm.leads.models import LeadStatus
from crm.leads.queries import SORTS, LeadFilters

ALL = "all"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LeadFilterForm(Form):
    """Search box, status, owner, country, ingredient and creation dates; sort and direction."""

    class Meta:
        csrf = False

    q = SearchField("Search", filters=[_strip], validators=[Optional(), Length(max=200)],
                    description="Company, contact, email or reference.")
    status = SelectMultipleField(
        "Status",
        choices=[SelectChoice(s.value, s.label) for s in LeadStatus]
        + [SelectChoice(ALL, "All statuses")],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    owner = SelectField("Owner", default="")
    country = fixed_select_field("Country", [SelectChoice("", "Any country"), *COUNTRY_CHOICES],
                                 default="")
    ingredient = SelectField("Ingredient", default="")
    created_from = DateField("Created from", validators=[Optional()])
    created_to = DateField("Created to", validators=[Optional()])
    sort = HiddenField(default="created_at")
    dir = HiddenField(default="desc")

    def __init__(self, formdata, *, owners: list[tuple[int, str]],
                 ingredients: list[tuple[int, str]], default_statuses: tuple[LeadStatus, ...]):
        super().__init__(formdata)
        self.owner.choices = [
            SelectChoice("", "Anyone"), SelectChoice("me", "Me"),
            SelectChoice("unassigned", "Unassigned"),
        ] + [SelectChoice(str(user_id), name) for user_id, name in owners]
        self.ingredient.choices = [SelectChoice("", "Any ingredient")] + [
            SelectChoice(str(ingredient_id), name) for ingredient_id, name in ingredients
        ]
        self._status_chosen = bool(formdata.getlist("status"))
        if not self._status_chosen:  # show the screen's default as ticked boxes
            self.status.data = [s.value for s in default_statuses]

    def validate_created_to(self, field):
        start = self.created_from.data
        if field.data and start and not self.created_from.errors and field.data < start:
            raise ValidationError("Choose a date on or after “Created from”.")

    def _valid(self, field):
        return field.data if field.data and not field.errors else None

    def _statuses(self) -> tuple[LeadStatus, ...] | None:
        values = self._valid(self.status)
        if not self._status_chosen or not values:
            return None
        if ALL in values:
            return tuple(LeadStatus)
        return tuple(s for s in LeadStatus if s.value in values)

    def filters(self, *, me_id: int | None) -> LeadFilters:
        """The valid filters after ``validate()``; a field with an error filters nothing."""
        sort = self.sort.data if self.sort.data in SORTS else "created_at"
        ingredient = self._valid(self.ingredient)
        return LeadFilters(
            q=self._valid(self.q), statuses=self._statuses(), owner=self._valid(self.owner) or "",
            me_id=me_id, country=self._valid(self.country),
            ingredient_id=int(ingredient) if ingredient else None,
            created_from=self._valid(self.created_from), created_to=self._valid(self.created_to),
            sort=sort, direction="asc" if self.dir.data == "asc" else "desc",
        )
