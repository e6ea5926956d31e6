"""What every page shares: brand, the logout form, the search box."""

from flask import current_app


def init_app(app) -> None:
    @app.context_processor
    def layout():
        from portal.auth.forms import LogoutForm

        return {"brand_name": current_app.config["BRAND_NAME"], "logout_form": LogoutForm(formdata=None)}
