import sqlalchemy as sa
from flask import current_app, jsonify, request

from portal.api import bp
from portal.extensions import db
from portal.inputs import query_int
from portal.search.services import search, suggest

MAX_LIMIT = 50


@bp.route("/api/search")
def api_search():
    limit = query_int("limit", 10, 1, MAX_LIMIT)
    page = query_int("page", 1, 1, 1000)
    found = search(request.args.get("q"), page=page, per_page=limit, doc_type=request.args.get("type") or None,
                   category=request.args.get("category") or None, source="api")
    return jsonify({
        "query": found.query,
        "total": found.total,
        "page": found.page,
        "suggestion": found.suggestion,
        "corrected": found.corrected,
        "facets": {"category": found.facets, "type": found.type_facets},
        "results": [
            {"type": h.type, "slug": h.slug, "title": h.title, "url": h.url, "snippet": h.snippet,
             "score": h.score, "category": h.category, "answered": h.answered}
            for h in found.hits
        ],
    })


@bp.route("/api/search/suggest")
def api_suggest():
    hits = suggest(request.args.get("q"), limit=query_int("limit", 8, 1, 20))
    return jsonify({"suggestions": [{"title": h.title, "url": h.url, "type": h.type} for h in hits]})


@bp.route("/healthz")
def health():
    status, code = {}, 200
    try:
        db.session.execute(sa.text("SELECT 1"))
        status["database"] = {"ok": True}
    except Exception as exc:
        db.session.rollback()
        status["database"] = {"ok": False, "error": exc.__class__.__name__}
        code = 503
    try:
        status["search"] = current_app.extensions["search"].status()
    except Exception as exc:
        status["search"] = {"ok": False, "error": exc.__class__.__name__}
        code = 503
    status["status"] = "ok" if code == 200 else "degraded"
    return jsonify(status), code
