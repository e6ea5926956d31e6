from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import ChangePasswordForm, LoginForm, LogoutForm, RegisterForm
from portal.auth.passwords import WeakPassword
from portal.auth.services import AccountError, authenticate, change_password, create_user
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
def login():
    if current_user.is_authenticated:
        return redirect(url_for("kb.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That email and password do not match an account.", "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        flash(f"Welcome back, {user.first_name}.", "success")
        return redirect(_safe_next(url_for("kb.home")))
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
            user = create_user(form.email.data, form.password.data, ["customer"], name=form.name.data or "")
        except (AccountError, WeakPassword) as exc:
            field = form.password if isinstance(exc, WeakPassword) else form.email
            field.errors.append(str(exc))
        else:
            login_user(user)
            flash("Your account is ready. Welcome!", "success")
            return redirect(url_for("kb.home"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
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
            flash("Your password has been changed.", "success")
            return redirect(url_for("kb.home"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status
