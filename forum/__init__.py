"""The community forum: plugged into the portal by ``forum.init_app(app)``."""

from flask import Blueprint

bp = Blueprint("forum", __name__, template_folder="templates", static_folder="static",
               static_url_path="/forum/static")


def init_app(app) -> None:
    from forum import api, bridge_views, models, views  # noqa: F401  (tables, routes)
    from forum.models import Thread
    from forum.permissions import register_permissions
    from forum.search import post_changes_thread_document, thread_document
    from portal.search.indexing import register_searchable

    register_searchable("thread", Thread, thread_document, part_changes=post_changes_thread_document)
    register_permissions()
    from forum.demo import seed_demo

    app.extensions.setdefault("demo_seeders", []).append(seed_demo)  # `flask seed demo`
    app.extensions.setdefault("bot_endpoints", {})["/api/bot/community"] = (api.bot_community, ["GET"])
    from forum.figures import forum_figures

    app.extensions.setdefault("insight_sources", {})["forum"] = forum_figures  # the supervisor's dashboard
    app.register_blueprint(bp)
    from forum.moderation import member_views  # noqa: F401  (its routes, on the same blueprint)
    from forum.moderation.views import bp as moderation_bp  # /moderation pages and members' flags

    app.register_blueprint(moderation_bp)
