"""The filter form above the email log (a GET form: no CSRF token, nothing changes)."""

from wtforms import SearchField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from crm.core.forms import Form, SelectField
from crm.notifications.models import EmailStatus
from crm.notifications.queries import LogFilters


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EmailLogFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(
        "Status", default="",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(status.value, status.label) for status in EmailStatus],
    )
    template = SelectField("Template", default="", choices=[SelectChoice("", "Any template")])
    recipient = SearchField(
        "Recipient contains", validators=[Optional(), Length(max=254)], filters=[_strip]
    )

    def __init__(self, formdata, *, templates: list[str]):
        super().__init__(formdata)
        self.template.choices = [SelectChoice("", "Any template")] + [
            SelectChoice(name) for name in templates
        ]

    def filters(self) -> LogFilters:
        """The valid filters after ``validate()``; a field with an error filters nothing."""
        status, template, recipient = (
            field.data if field.data and not field.errors else None
            for field in (self.status, self.template, self.recipient)
        )
        return LogFilters(
            status=EmailStatus(status) if status else None, template=template,
            recipient=recipient,
        )
