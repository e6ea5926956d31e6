from flask import Blueprint

bp = Blueprint("kb", __name__)


def init_app(app) -> None:
    from portal.kb import views  # noqa: F401  (routes)
    from portal.kb.models import CATEGORY_NAMES, Article
    from portal.kb.services import article_document, brand, brand_html
    from portal.search.indexing import register_searchable

    register_searchable("article", Article, article_document, category_names=CATEGORY_NAMES)
    app.add_template_filter(brand, "brand")
    app.add_template_filter(brand_html, "brand_html")
    app.register_blueprint(bp)
