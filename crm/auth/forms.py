"""Login, password and user-administration forms."""

import pycountry
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from crm.auth.models import Role
from crm.core.forms import Form, SelectField

MIN_PASSWORD_LENGTH = 10
COUNTRY_CHOICES = [
    SelectChoice(c.alpha_2, c.name) for c in sorted(pycountry.countries, key=lambda c: c.name)
]
PASSWORD_LENGTH = Length(
    min=MIN_PASSWORD_LENGTH, max=200,
    message=f"Use at least {MIN_PASSWORD_LENGTH} characters (and at most 200).",
)
ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class LoginForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", "The two passwords differ.")],
    )


class ForgotPasswordForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)],
                       description="The address you sign in with.")


class ResetPasswordForm(Form):
    new_password = PasswordField(
        "New password",
        validators=[InputRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", "The two passwords differ.")],
    )


class UserForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[InputRequired(), Length(max=100)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    territories = SelectMultipleField(
        "Territories",
        choices=COUNTRY_CHOICES,
        description="Countries whose new leads go to this salesperson.",
    )
    active = BooleanField("Active", default=True)
    away_until = DateField(
        "Away until", validators=[Optional()],
        description="Their last day away (leave, travel): no new lead goes to them until it "
                    "has passed; their leads stay theirs. Empty: taking new leads.")


class NewUserForm(UserForm):
    away_until = None  # someone new is not on leave yet
    # No role chosen in advance: a hurried admin must not make another admin by default.
    role = SelectField("Role", choices=[SelectChoice("", "Choose a role"), *ROLE_CHOICES],
                       validators=[InputRequired("Choose a role.")])
    password = PasswordField(
        "Password",
        validators=[InputRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Tell the person to change it.",
    )


class AwayForm(Form):
    """A salesperson's own leave: ``action`` "away" (until ``until``) or "back"."""

    until = DateField("Away until", validators=[Optional()],
                      description="Your last day away: no new lead comes to you until it has "
                                  "passed. Your leads stay yours.")
    action = HiddenField()  # the button pressed: "away" or "back"

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.action.data not in ("away", "back"):
            self.form_errors.append("Choose “Away” or “I'm back”.")
            return False
        if self.action.data == "away" and self.until.data is None and not self.until.errors:
            self.until.errors.append("Choose your last day away.")
            return False
        return valid
