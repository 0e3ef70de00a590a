"""Forms of the moderation queue: filters, row and bulk actions, edits, replies, settings."""

import ipaddress
import unicodedata

from flask import url_for
from wtforms import (
    BooleanField,
    HiddenField,
    SearchField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from crm.articles.forms import http_url
from crm.articles.models import CommentStatus
from crm.articles.moderation import ACTION_LABELS, ACTIONS
from crm.articles.moderation_queries import QueueFilters
from crm.articles.rendering import clean_text
from crm.core.forms import Form, IntegerField, SelectField
from crm.core.paging import PAGE_SIZE
from crm.core.urls import is_safe_next

# What a flash message says was done, for "3 comments approved".
ACTION_DONE = {
    "approve": "approved", "unapprove": "sent back to pending", "spam": "marked as spam",
    "not_spam": "approved as not spam", "trash": "moved to the trash",
    "restore": "restored to pending", "delete": "deleted for ever",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def actions_for_status(status: CommentStatus) -> list[str]:
    """The actions that suit every comment of one tab, for its bulk-action bar."""
    actions = [name for name, (sources, _) in ACTIONS.items() if status in sources]
    return actions + (["delete"] if status is CommentStatus.TRASH else [])


def bulk_message(action: str, changed: int, skipped: int) -> str:
    """``"3 comments approved, 1 skipped"``."""
    noun = "comment" if changed == 1 else "comments"
    message = f"{changed} {noun} {ACTION_DONE[action]}"
    return message + (f", {skipped} skipped" if skipped else "") + "."


class QueueFilterForm(Form):
    """The tab, search box and article filter above the queue (GET: no CSRF token)."""

    class Meta:
        csrf = False

    status = HiddenField(default=CommentStatus.PENDING.value)
    q = SearchField("Search comments", filters=[_strip],
                    validators=[Optional(), Length(max=200)],
                    description="Text, author name, email or IP address.")
    article = SelectField("Article", default="", choices=[SelectChoice("", "All articles")])

    def __init__(self, formdata, *, articles: list[tuple[int, str]]):
        super().__init__(formdata)
        self.article.choices = [SelectChoice("", "All articles")] + [
            SelectChoice(str(article_id), title) for article_id, title in articles
        ]

    def filters(self) -> QueueFilters:
        """The valid filters after ``validate()``; a field with an error filters nothing."""
        status = {s.value: s for s in CommentStatus}.get(self.status.data, CommentStatus.PENDING)
        search = self.q.data if self.q.data and not self.q.errors else None
        article = self.article.data if self.article.data and not self.article.errors else None
        return QueueFilters(status=status, search=search,
                            article_id=int(article) if article else None)


class ReturnForm(Form):
    """A POST button's form: its CSRF token and the page to come back to."""

    next = HiddenField()

    def next_url(self, default: str | None = None) -> str:
        """Where to go after the action: ``next`` when it is a path on this site."""
        target = self.next.data
        return target if is_safe_next(target) else (default or url_for("moderation.index"))


def _few_ids(form, field):
    if len(field.data or []) > PAGE_SIZE * 4:
        raise ValidationError("Too many comments at once.")


class BulkActionForm(ReturnForm):
    ids = SelectMultipleField("Comments", coerce=int, validate_choice=False,
                              validators=[InputRequired("Select at least one comment."),
                                          _few_ids])
    action = SelectField("Bulk action", validators=[InputRequired("Choose an action.")],
                         choices=[SelectChoice(name, label) for name, label in
                                  ACTION_LABELS.items()])

    def __init__(self, *args, status: CommentStatus | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if status is not None:  # the bar offers what suits the tab; any action is accepted
            self.action.choices = [SelectChoice("", "Bulk actions")] + [
                SelectChoice(name, ACTION_LABELS[name]) for name in actions_for_status(status)
            ]

    def first_error(self) -> str:
        return next(iter(self.errors.values()))[0]


class EditCommentForm(Form):
    author_name = StringField("Author name", filters=[clean_text],
                              validators=[DataRequired("Give the author's name."),
                                          _at_most(100)])
    author_url = StringField("Website", filters=[clean_text],
                             validators=[Optional(), _at_most(200), http_url])
    body = TextAreaField("Comment", filters=[clean_text],
                         validators=[DataRequired("The comment cannot be empty."),
                                     _at_most(5000)])


class StaffReplyForm(Form):
    body = TextAreaField("Your reply", filters=[clean_text],
                         validators=[DataRequired("Write your reply."), _at_most(5000)],
                         description="Published at once, marked as staff.",
                         id="reply-body")  # the show page holds the edit form's "body" too


class LinesField(TextAreaField):
    """A textarea holding a list: one entry a line, trimmed, blank lines and repeats dropped."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw_text = valuelist[0] or ""
            self.data = list(dict.fromkeys(
                line.strip() for line in self.raw_text.splitlines() if line.strip()))

    def _value(self):
        return "\n".join(self.data or [])

    def pre_validate(self, form):
        if any(unicodedata.category(c) == "Cc" for line in self.data or [] for c in line):
            raise ValidationError("Remove the invisible control characters from this list.")
        if len(self.data or []) > 1000:
            raise ValidationError("Use at most 1,000 lines.")
        if any(len(line) > 254 for line in self.data or []):
            raise ValidationError("Each line may hold at most 254 characters.")


def _emails(form, field):
    bad = [line for line in field.data if "@" not in line or " " in line]
    if bad:
        raise ValidationError(f"Not an email address: {bad[0]}")


def _ips(form, field):
    for line in field.data:
        try:
            ipaddress.ip_address(line)
        except ValueError:
            raise ValidationError(f"Not an IP address: {line}") from None


class ModerationSettingsForm(Form):
    max_links = IntegerField(
        "Most links a comment may hold before it is held",
        validators=[InputRequired("Give a number (0 or more)."),
                    NumberRange(min=0, max=1000, message="Use a whole number from 0 to 1,000.")])
    moderation_words = LinesField(
        "Hold for moderation when a comment contains",
        description="One word or phrase a line.")
    block_words = LinesField("Mark as spam when a comment contains",
                             description="One word or phrase a line.")
    blocked_emails = LinesField("Blocked email addresses", validators=[_emails],
                                description="One address a line.")
    blocked_ips = LinesField("Blocked IP addresses", validators=[_ips],
                             description="One address a line.")
    auto_approve_known_authors = BooleanField(
        "Approve at once authors who already have an approved comment")

    def values(self) -> dict:
        """The arguments of ``update_settings``."""
        names = ("max_links", "moderation_words", "block_words", "blocked_emails",
                 "blocked_ips", "auto_approve_known_authors")
        return {name: self[name].data for name in names}


class EraseAuthorForm(Form):
    """The author's email address typed again: erasing their personal data has no undo."""

    confirm_email = StringField("Their email address, to confirm", id="erase-author-confirm",
                                validators=[DataRequired("Type the author's email address "
                                                         "to confirm.")])
