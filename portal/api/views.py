from flask import jsonify, request

from portal.api import bp
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
    """Liveness: this process answers. It asks no database or service (a database outage must
    not get every portal process restarted); whether it can serve customers is /readyz."""
    return jsonify({"status": "ok"})
