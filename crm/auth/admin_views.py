"""Admin pages to create users, change roles and territories, and deactivate accounts."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.auth import operations
from crm.auth.forms import NewUserForm, UserForm
from crm.auth.guard import staff_blueprint
from crm.auth.models import Role, User
from crm.core.forms import render_form_page
from crm.extensions import db

bp = staff_blueprint("accounts", __name__, roles=(Role.ADMIN,), url_prefix="/dashboard/users")


@bp.get("/")
def index():
    users = db.session.scalars(select(User).options(selectinload(User.territories))
                               .order_by(User.active.desc(), User.name)).all()
    return render_template("accounts/index.html", users=users, today=operations.team_today())


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = operations.create_user(
                db.session, email=form.email.data, name=form.name.data,
                role=Role(form.role.data), password=form.password.data,
                territories=form.territories.data, active=form.active.data, actor=current_user,
            )
        except operations.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{user.name} can now sign in as {user.role.label.lower()}.", "success")
            return redirect(url_for(".index"))
    return render_form_page("accounts/form.html", form, user=None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(
        email=user.email, name=user.name, role=user.role.value,
        territories=user.country_codes, active=user.active, away_until=user.away_until,
    )
    if form.validate_on_submit():
        try:
            operations.update_user(
                db.session, user=user, email=form.email.data, name=form.name.data,
                role=Role(form.role.data), active=form.active.data,
                territories=form.territories.data, away_until=form.away_until.data,
                actor=current_user,
            )
        except operations.AwayError as exc:
            form.away_until.errors.append(str(exc))
        except operations.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{user.name}'s account is saved.", "success")
            return redirect(url_for(".index"))
    return render_form_page("accounts/form.html", form, user=user)
