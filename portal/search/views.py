from flask import render_template, request

from portal.kb.models import CATEGORY_NAMES
from portal.search import bp
from portal.search.services import SearchInputError, search


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit():
        return default
    return max(low, min(high, int(value)))


@bp.route("/search")
def results():
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    page = _int_arg("page", 1, 1, 1000)
    if not q.strip():
        return render_template("search/results.html", q="", results=None, error=None, category=None,
                               category_names=CATEGORY_NAMES)
    try:
        found = search(q, page=page, per_page=10, category=category)
    except SearchInputError as exc:
        return render_template("search/results.html", q=q, results=None, error=str(exc), category=category,
                               category_names=CATEGORY_NAMES), 400
    return render_template("search/results.html", q=q, results=found, error=None, category=category,
                           category_names=CATEGORY_NAMES)
