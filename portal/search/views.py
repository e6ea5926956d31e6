from flask import render_template, request

from portal.inputs import page_number
from portal.search import bp
from portal.search.indexing import category_names
from portal.search.services import SearchInputError, search

TYPE_NAMES = {"article": "Help articles", "thread": "Community"}


@bp.route("/search")
def results():
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    doc_type = request.args.get("type") or None
    page = page_number(high=1000)
    context = {"q": q, "category": category, "doc_type": doc_type, "category_names": category_names(),
               "type_names": TYPE_NAMES}
    if not q.strip():
        return render_template("search/results.html", results=None, error=None, **{**context, "q": ""})
    try:
        found = search(q, page=page, per_page=10, category=category, doc_type=doc_type)
    except SearchInputError as exc:
        return render_template("search/results.html", results=None, error=str(exc), **context), 400
    return render_template("search/results.html", results=found, error=None, **context)
