"""The form admins write articles with."""

from datetime import UTC

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from crm.articles.operations import SLUG_MAX_LENGTH, SLUG_PATTERN
from crm.core.forms import Form

BODY_MAX_LENGTH = 100_000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UTCDateTimeLocalField(DateTimeLocalField):
    """A ``datetime-local`` input read and shown as UTC, the time zone staff pages use."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"])
        kwargs.setdefault("render_kw", {"step": "1"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data = None  # an empty input means "no date", not an error
            return
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = self.data.replace(tzinfo=UTC)

    def _value(self):
        if not self.raw_data and self.data is not None and self.data.tzinfo is not None:
            return self.data.astimezone(UTC).strftime(self.format[0])
        return super()._value()


class ArticleForm(Form):
    title = StringField("Title", filters=[_strip], validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=SLUG_MAX_LENGTH),
            Regexp(SLUG_PATTERN, message="Use only lower-case letters a–z, digits and single "
                                         "hyphens, e.g. formulating-with-glycine."),
        ],
        description="The address: /articles/<slug>. Leave empty to make it from the title. "
                    "After a change, the old address redirects to the new one.",
    )
    summary = TextAreaField(
        "Summary", filters=[_strip], validators=[Length(max=500)],
        description="One or two sentences for the article list. At most 500 characters.",
    )
    body_markdown = TextAreaField(
        "Body (Markdown)",
        validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)],
        description="Markdown: ## headings, **bold**, *italics*, [links](https://…), lists "
                    "and tables. HTML tags are shown as text.",
    )
    published = BooleanField("Published", description="Drafts are not shown on the public site.")
    published_at = UTCDateTimeLocalField(
        "Publication date (UTC)",
        validators=[Optional()],
        description="Leave empty to use the moment the article is first published. A later "
                    "date schedules it: the public sees it from then on.",
    )
    comments_open = BooleanField("Comments open", default=True)
    # The article's version when the form was opened: a save over a newer one is refused.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    preview = SubmitField("Preview")
    save = SubmitField("Save")


def show_saved_version(form: ArticleForm, version: int) -> None:
    """After a refused save: carry the version now saved, so that sending the form again
    is a deliberate choice to replace it."""
    form.version.data, form.version.raw_data = version, None
