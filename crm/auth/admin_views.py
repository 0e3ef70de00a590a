"""Admin pages to create users, change roles and territories, and deactivate accounts."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.auth import operations
from crm.auth.forms import NewUserForm, UserForm
from crm.auth.guard import staff_blueprint
from crm.auth.models import Role, User
from crm.core.forms import render_form_page
from crm.extensions import db

bp = staff_blueprint("accounts", __name__, roles=(Role.ADMIN,), url_prefix="/dashboard/users")


@bp.get("/")
def index():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("accounts/index.html", users=users)


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
        territories=user.country_codes, active=user.active,
    )
    if form.validate_on_submit():
        try:
            operations.update_user(
                db.session, user=user, email=form.email.data, name=form.name.data,
                role=Role(form.role.data), active=form.active.data,
                territories=form.territories.data, actor=current_user,
            )
        except operations.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{user.name}'s account is saved.", "success")
            return redirect(url_for(".index"))
    return render_form_page("accounts/form.html", form, user=user)
