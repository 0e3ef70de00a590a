"""Login, logout, the signed-in user's own password and resetting a forgotten one."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth import operations
from crm.auth.forms import ForgotPasswordForm, LoginForm, PasswordChangeForm, ResetPasswordForm
from crm.core.forms import render_form_page
from crm.core.urls import is_safe_next
from crm.extensions import db, limiter

bp = Blueprint("auth", __name__)

RESET_SENT = "If an account exists for that address, we have sent a link to reset its password."
# One answer for an unknown address, a wrong password and a deactivated account.
WRONG_CREDENTIALS = "Wrong email or password."


def _account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


def _reset_account_key() -> str:
    return "reset-account:" + request.form.get("email", "").strip().lower()


def _failed(response) -> bool:
    # A successful login redirects; only failures count against the limits.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CRM_LOGIN_LIMIT_PER_IP"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["CRM_LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def login():
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.authenticate(db.session, email=form.email.data,
                                       password=form.password.data)
        if user is None:
            # The form's own error, tied to neither field: it must not tell which was wrong.
            form.form_errors.append(WRONG_CREDENTIALS)
        else:
            db.session.commit()
            session.clear()  # a fresh session at login
            session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME
            login_user(user)
            return redirect(next_url if is_safe_next(next_url) else url_for("dashboard.index"))
    return render_form_page("auth/login.html", form)


@bp.post("/logout")
@login_required
def logout():
    operations.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            operations.change_password(
                db.session, user=current_user, current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except operations.AccountError as exc:
            form.current_password.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user)  # this browser keeps its session; all others end
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(url_for("dashboard.index"))
    return render_form_page("auth/password.html", form)


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CRM_RESET_LIMIT_PER_IP"],
               methods=["POST"])
@limiter.limit(lambda: current_app.config["CRM_RESET_LIMIT_PER_ACCOUNT"],
               methods=["POST"], key_func=_reset_account_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(db.session, email=form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_form_page("auth/forgot.html", form)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = operations.user_for_reset_token(db.session, token)
    form = ResetPasswordForm() if user is not None else None
    if form is not None and form.validate_on_submit():
        operations.set_password(db.session, user=user, password=form.new_password.data,
                                actor=user)
        db.session.commit()
        flash("Your password is changed. Sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    response = make_response(render_form_page("auth/reset.html", form) if form is not None
                             else (render_template("auth/reset.html", form=None), 400))
    response.headers["Referrer-Policy"] = "no-referrer"  # keep the token out of Referer headers
    return response
