"""Bridges out of the forum: a thread becomes a support ticket, an accepted answer becomes
a knowledge-base draft.

A thread that needs a person (an order number, a refund, something only staff can see)
goes to the support queue with every published post, so the customer never repeats
themselves: their posts become their side of the ticket's conversation, other members'
replies come along as notes, and the customer follows it under My tickets.

An accepted answer that others will need again becomes an unpublished article. Editors
review it at /kb/drafts and publish it; from then on it is searched like any article.
"""

from __future__ import annotations

import sqlalchemy as sa

from forum.models import ModerationLog, Post, Thread
from forum.reading import post_url, thread_url
from forum.services import ForumError
from forum.text import slugify
from portal.chat.services import start_conversation
from portal.conversations.models import Message
from portal.extensions import db
from portal.handoff.messages import customer_message
from portal.handoff.tickets import open_handoff_ticket, record_event
from portal.kb.models import Article
from portal.kb.services import get_or_create_category, render_article_body
from portal.markdown import plain_text
from portal.notifications.services import notify
from portal.tickets.models import Ticket

# Forum categories to the support teams' routing categories and the help centre's topics.
TEAM_CATEGORY = {"billing": "billing", "products-setup": "technical"}
KB_CATEGORY = {"billing": "billing-payments", "orders-delivery": "orders-delivery",
               "products-setup": "product-help"}
CLOSED = ("resolved", "closed")


class BridgeError(ForumError):
    status = 400


def _published_posts(thread: Thread) -> list[Post]:
    return list(db.session.scalars(
        sa.select(Post).where(Post.thread_id == thread.id, Post.status == "published").order_by(Post.id)))


def _name(user) -> str:
    return user.name or user.first_name if user is not None else "A former member"


def open_ticket_from_thread(agent, thread: Thread) -> tuple[Ticket, bool]:
    """The thread's ticket, opened now or already open (then ``False``): one per thread at a time."""
    if thread.ticket_id is not None:
        existing = db.session.get(Ticket, thread.ticket_id)
        if existing is not None and existing.status not in CLOSED:
            return existing, False
    if thread.author_id is None:
        raise BridgeError("The thread's author has left, so there is nobody to open a ticket for.")
    posts = _published_posts(thread)
    if not posts:
        raise BridgeError("The thread has no published posts to take to support.")

    conv = start_conversation(thread.author_id, None)
    history: list[str] = []
    for post in posts:
        text = plain_text(post.body_md)[:4000] or "(empty post)"
        if post.author_id == thread.author_id:
            # Old posts: the detector sees the thread's own history, and nobody has been kept waiting.
            customer_message(conv, text, page=post_url(post.id), history=history[-10:], waited_seconds=0.0,
                             created_at=post.created_at)
            history.append(text)
        else:
            db.session.add(Message(conversation=conv, sender="system", created_at=post.created_at,
                                   text=f"{_name(post.author)} replied in the community: {text}"[:4000]))
    db.session.flush()

    briefing = {"problem": thread.title[:200], "source": "forum", "thread_url": thread_url(thread),
                "thread_title": thread.title, "thread_posts": len(posts)}
    def note(number: str) -> str:
        return (f"Our support team opened ticket {number} from your community question \"{thread.title}\". "
                "A person will reply here; nothing you wrote needs repeating.")

    ticket, _ = open_handoff_ticket(conv, "forum_thread", category=TEAM_CATEGORY.get(thread.category.slug, "general"),
                                    subject=thread.title, briefing_extra=briefing, note=note)
    record_event(ticket, agent, "from_thread", thread=thread.id, title=thread.title, url=thread_url(thread))
    thread.ticket_id = ticket.id
    notify([thread.author_id], "ticket_from_thread",
           f"Support opened ticket {ticket.number} for your question \"{thread.title}\"",
           f"/tickets/{ticket.number}", actor_id=agent.id)
    db.session.commit()
    return ticket, True


def _free_slug(title: str) -> str:
    base = slugify(title, max_length=100) or "community-answer"
    slug, n = base, 2
    while db.session.scalar(sa.select(Article.id).where(Article.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def draft_from_answer(moderator, thread: Thread) -> tuple[Article, bool]:
    """An unpublished article made of the question and its accepted answer (``False``: one existed)."""
    existing = db.session.scalar(sa.select(Article).where(Article.source_thread_id == thread.id))
    if existing is not None:
        return existing, False
    answer = db.session.get(Post, thread.accepted_post_id) if thread.accepted_post_id else None
    if answer is None or answer.status != "published":
        raise BridgeError("Only a thread with a published accepted answer can become an article.")
    opening = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.id).limit(1))
    question = plain_text(opening.body_md) if opening is not None else ""
    body = (f"{answer.body_md.strip()}\n\n"
            f"*This article started as an answer by {_name(answer.author)} in our community: "
            f"[{thread.title}]({thread_url(thread)}).*\n")
    summary = question[:240] + ("…" if len(question) > 240 else "")
    article = Article(
        slug=_free_slug(thread.title), title=thread.title[:200], summary=summary, tags=[t.name for t in thread.tags],
        body_md=body, body_html=render_article_body(body, link_rel="nofollow ugc"), published=False, source_path="", checksum="",
        category=get_or_create_category(KB_CATEGORY.get(thread.category.slug, "contact-us")),
        source_thread_id=thread.id, drafted_by_id=moderator.id,
    )
    db.session.add(article)
    db.session.flush()
    db.session.add(ModerationLog(moderator_id=moderator.id, action="promote_to_kb", target_type="thread",
                                 target_id=thread.id, data={"article_id": article.id, "slug": article.slug}))
    db.session.commit()
    return article, True
