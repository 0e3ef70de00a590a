"""The public comment form (field names are part of the public contract, DESIGN.md)."""

from urllib.parse import urlsplit

from wtforms import BooleanField, EmailField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from crm.articles.rendering import clean_text
from crm.core.forms import Form


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def http_url(form, field):
    """Websites must be plain http(s) addresses: no javascript:, data: or relative links."""
    if field.data:
        parts = urlsplit(field.data.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValidationError("Enter a web address starting with http:// or https://.")


class CommentForm(Form):
    # Cleaned as they will be stored: a name or comment of spaces only is no name or comment.
    author_name = StringField("Name", filters=[clean_text],
                              validators=[DataRequired("Tell us your name."), _at_most(100)])
    author_email = EmailField(
        "Email", validators=[InputRequired("We need your email."),
                             Email("Enter a valid email address."), _at_most(254)],
        description="Never published. We use it only to tell you of replies if you ask.",
    )
    author_url = StringField("Website", filters=[clean_text],
                             validators=[Optional(), _at_most(200), http_url])
    body = TextAreaField("Comment", filters=[clean_text],
                         validators=[DataRequired("Write your comment."), _at_most(5000)])
    parent_id = IntegerField("Reply to", widget=HiddenInput(), validators=[Optional()])
    notify_replies = BooleanField("Email me replies to my comment", default=False)
    ticket = HiddenField()
    # Hidden from people by CSS; bots that fill every field give themselves away.
    homepage = StringField("Leave this field empty", validators=[Optional()])
