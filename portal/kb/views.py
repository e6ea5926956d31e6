import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.permissions import can, editor_required
from portal.errors import answer_refusals_with, flash_and_return_to
from portal.extensions import db
from portal.inputs import page_number
from portal.kb import bp
from portal.kb.forms import VoteForm
from portal.kb.models import Article, Category
from portal.kb.reads import count_read
from portal.kb.services import (
    article_page,
    categories_with_counts,
    find_vote,
    record_vote,
    vote_counts,
)
from portal.visitor import visitor_id


@bp.route("/")
def home():
    recent = db.session.scalars(
        sa.select(Article).where(Article.published.is_(True))
        .order_by(Article.updated.desc().nulls_last(), Article.title).limit(6)
    ).all()
    return render_template("kb/home.html", categories=categories_with_counts(), recent=recent)


@bp.route("/kb/")
def index():
    return render_template("kb/index.html", categories=categories_with_counts())


@bp.route("/kb/category/<slug>")
def category(slug: str):
    cat = db.session.scalar(sa.select(Category).where(Category.slug == slug)) or abort(404)
    page = page_number()
    articles = db.paginate(
        sa.select(Article).where(Article.category_id == cat.id, Article.published.is_(True)).order_by(Article.title),
        page=page, per_page=20, error_out=False,
    )
    return render_template("kb/category.html", category=cat, articles=articles)


def _voter():
    if current_user.is_authenticated:
        return current_user.id, None
    return None, visitor_id(create=True)


@bp.route("/kb/<slug>")
def article(slug: str):
    art = article_page(slug) or abort(404)
    count_read(art.id)
    user_id, visitor = (current_user.id, None) if current_user.is_authenticated else (None, visitor_id(create=False))
    return render_template(
        "kb/article.html", article=art, form=VoteForm(),
        my_vote=find_vote(art, user_id, visitor), counts=vote_counts(art) if can("see_vote_counts") else None,
    )


@bp.route("/kb/<slug>/vote", methods=["POST"])
def vote(slug: str):
    art = article_page(slug) or abort(404)
    form = VoteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return render_template(
            "kb/article.html", article=art, form=form, my_vote=None,
            counts=vote_counts(art) if can("see_vote_counts") else None,
        ), 400
    user_id, visitor = _voter()
    answer_refusals_with(flash_and_return_to(url_for("kb.article", slug=slug)))
    record_vote(art, form.helpful.data == "yes", form.comment.data or "", user_id, visitor)
    flash("Thank you, your feedback helps us improve this article.", "success")
    return redirect(url_for("kb.article", slug=slug, _anchor="feedback"), 303)


# ---- drafts: editors review articles written in the portal (promoted community answers) ----

@bp.route("/kb/drafts")
@editor_required
def drafts():
    from portal.kb.drafts import drafts as list_drafts
    from portal.kb.forms import ActionForm

    return render_template("kb/drafts.html", drafts=list_drafts(), action=ActionForm())


@bp.route("/kb/drafts/<int:article_id>", methods=["GET", "POST"])
@editor_required
def draft(article_id: int):
    from portal.kb.drafts import DraftError, get_draft, publish, save_draft
    from portal.kb.forms import DraftForm
    from portal.kb.models import CATEGORY_NAMES

    art = get_draft(article_id) or abort(404)
    form = DraftForm(obj=None if request.method == "POST" else art)
    form.category.choices = list(CATEGORY_NAMES.items())
    if request.method == "GET":
        form.category.data, form.tags.data, form.body.data = art.category.slug, ", ".join(art.tags or []), art.body_md
        return render_template("kb/draft_edit.html", article=art, form=form)
    if not form.validate_on_submit():
        db.session.rollback()
        return render_template("kb/draft_edit.html", article=art, form=form), 400
    try:
        save_draft(art, title=form.title.data, summary=form.summary.data or "", category=form.category.data,
                   tags=form.tags.data or "", body=form.body.data)
        if request.form.get("publish") and not art.published:
            publish(art, current_user)
            flash("Published: the article is live and in search.", "success")
            return redirect(url_for("kb.article", slug=art.slug), 303)
        db.session.commit()
    except DraftError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return render_template("kb/draft_edit.html", article=art, form=form), 400
    flash("Draft saved.", "success")
    return redirect(url_for("kb.draft", article_id=art.id), 303)


@bp.route("/kb/drafts/<int:article_id>/discard", methods=["POST"])
@editor_required
def discard_draft(article_id: int):
    from portal.kb.drafts import discard, get_draft

    art = get_draft(article_id) or abort(404)
    answer_refusals_with(flash_and_return_to(url_for("kb.draft", article_id=article_id)))
    discard(art)
    flash("Draft discarded.", "success")
    return redirect(url_for("kb.drafts"), 303)
