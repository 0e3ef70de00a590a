"""The lead list's forms: the filters above the list and board (a GET form: no CSRF token,
nothing changes), and what to do with the leads ticked in the list."""

import re

from flask import url_for
from wtforms import DateField, Field, HiddenField, SearchField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from crm.auth.forms import COUNTRY_CHOICES
from crm.core.forms import Form, SelectField, fixed_select_field
from crm.core.urls import is_safe_next
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


# --- several leads at once -------------------------------------------------------------------

STALE_LIST = "This list is out of date: reload the page and tick the leads again."
MAX_PICKS = 200
PICK = re.compile(r"(\d{1,18}):(\d{1,9})", re.ASCII)


class LeadPicksField(Field):
    """The ticked leads, each sent as ``id:version`` (the version the list showed): a dict."""

    widget = HiddenInput()  # never drawn: the list draws a box per row

    def process_formdata(self, valuelist):
        matches = [PICK.fullmatch(value) for value in valuelist]
        if not all(matches):
            raise ValueError(STALE_LIST)
        self.data = {int(match[1]): int(match[2]) for match in matches}

    def pre_validate(self, form):
        if not self.data:
            raise StopValidation("Tick at least one lead.")
        if len(self.data) > MAX_PICKS:
            raise StopValidation(f"Tick at most {MAX_PICKS} leads at a time.")


class BulkForm(Form):
    """``action``: the button pressed, "assign" (to ``owner``, 0 for nobody) or "status"."""

    lead = LeadPicksField("Ticked leads", default=dict)
    action = SelectField("Action", choices=[SelectChoice("assign", "Assign"),
                                            SelectChoice("status", "Change status")],
                         validators=[InputRequired("Choose what to do.")])
    owner = SelectField("Assign to", id="bulk-owner", default="")  # "0": the unassigned queue
    status = SelectField("New status", id="bulk-status", default="", choices=[
        SelectChoice("", "Choose…"),
        *(SelectChoice(s.value, s.label) for s in LeadStatus if s is not LeadStatus.NEW)])
    lost_reason = StringField("Why lost", id="bulk-lost-reason", filters=[_strip],
                              validators=[Length(max=300, message="Use at most 300 characters.")])
    next = HiddenField()

    def __init__(self, *args, owners: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [SelectChoice("", "Choose…"), SelectChoice("0", "Unassigned")] + [
            SelectChoice(str(user_id), name) for user_id, name in owners]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.action.data == "assign" and not self.owner.data:
            self.owner.errors.append("Choose whom to give the leads to.")
        elif self.action.data == "status" and not self.status.data:
            self.status.errors.append("Choose the new status.")
        else:
            return valid
        return False

    def validate_lost_reason(self, field):
        if (self.action.data == "status" and self.status.data == LeadStatus.LOST.value
                and not field.data):
            raise ValidationError("Say why the leads were lost.")

    def next_url(self) -> str:
        return self.next.data if is_safe_next(self.next.data) else url_for("leads.index")
