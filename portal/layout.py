"""What every page shares: brand, the logout form, the search box, the favicon, and whether
the customer's chat widget belongs on the page."""

from flask import current_app, request, send_from_directory

# Staff work here; the customer's chat widget would only be in the way (and is not theirs).
STAFF_SECTIONS = frozenset({"staff", "moderation", "agent", "supervisor", "coaching", "training"})


def in_staff_section(path: str) -> bool:
    return path.strip("/").split("/", 1)[0] in STAFF_SECTIONS


def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=86400)


def init_app(app) -> None:
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)

    @app.context_processor
    def layout():
        from portal.auth.forms import LogoutForm

        return {"brand_name": current_app.config["BRAND_NAME"], "logout_form": LogoutForm(formdata=None),
                "chat_widget": not in_staff_section(request.path)}
