from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth import bp
from portal.auth.forms import ChangePasswordForm, ConfirmRegistrationForm, LoginForm, LogoutForm, RegisterForm
from portal.auth.passwords import WeakPassword
from portal.auth.registration import finish_registration, read_registration_link, start_registration
from portal.auth.services import AccountError, DisplayNameError, authenticate, change_password
from portal.auth.sessions import sign_in, sign_in_again, sign_out
from portal.auth.throttle import login_account_key, login_failed, remember_device
from portal.extensions import limiter
from portal.inputs import is_local_path


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    # Only same-site relative paths: never an open redirect (not "//host" nor "/\\host").
    if is_local_path(target):
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=login_account_key,
               deduct_when=login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("kb.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That email and password do not match an account.", "error")
            return render_template("auth/login.html", form=form), 401
        sign_in(user, remember=form.remember.data)
        flash(f"Welcome back, {user.first_name}.", "success")
        response = redirect(_safe_next(url_for("kb.home")))
        remember_device(response, user.email)
        return response
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("kb.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            email = start_registration(form.email.data, form.password.data, form.name.data or "")
        except (AccountError, WeakPassword) as exc:
            field = {WeakPassword: form.password, DisplayNameError: form.name}.get(type(exc), form.email)
            field.errors.append(str(exc))
        else:  # the same answer whether the address has an account or not
            return render_template("auth/check_email.html", email=email)
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/register/<token>", methods=["GET", "POST"])
def confirm_registration(token: str):
    """The link from the email: a button, so a mail scanner opening links creates nothing."""
    read_registration_link(token)  # a bad or old link is refused before anything else
    form = ConfirmRegistrationForm()
    if not form.validate_on_submit():
        return render_template("auth/confirm.html", form=form)
    user = finish_registration(token)
    if user is None:
        flash("Your account exists already. Log in with your email and password.", "success")
        return redirect(url_for("auth.login"))
    sign_in(user)
    flash("Your account is ready. Welcome!", "success")
    return redirect(url_for("kb.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        sign_out()
        flash("You are logged out.", "success")
    return redirect(url_for("kb.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.password.data)
        except AccountError as exc:
            form.current.errors.append(str(exc))
        except WeakPassword as exc:
            form.password.errors.append(str(exc))
        else:
            sign_in_again(current_user._get_current_object())
            flash("Your password has been changed. Other browsers signed in to your account are signed out.",
                  "success")
            return redirect(url_for("kb.home"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status
