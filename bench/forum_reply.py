"""Forum benchmark, part (c): what one reply costs in a long thread, beside a short one.

A reply used to rewrite its thread's whole search document (every published post turned
into plain text, then written to the index): 1.3-1.5 s in a thread of 1,000 posts against
0.05 s in a short one (issue 15). Here, in the forum section's instance after its index
is built (so the index is the size the search runs measured), one thread of 1,000 posts
and one of 5 are bulk-inserted and indexed, then members reply to them in turn through
``forum.services.reply``, the function the reply form calls: the checks, the insert, the
commit and the index update it triggers. Medians of ``replies`` replies to each thread.

Run as a child process of bench/forum.py (``forum.py --child reply``) with the instance's
environment.
"""

from __future__ import annotations

import random
import statistics
import time

import corpus
from forum_content import post_body

LONG_POSTS, SHORT_POSTS = 1000, 5


def child_reply(spec: dict) -> dict:
    import sqlalchemy as sa

    from forum.models import ForumCategory, Post, Thread
    from forum.services import reply
    from forum.settings import set_setting
    from forum.text import render_post, slugify
    from portal import create_app
    from portal.auth.models import User
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.search.indexing import reindex

    rng = random.Random(spec.get("seed", 7))
    domain, general = corpus._sentences()
    app = create_app()
    with app.app_context():
        set_setting("post_rate_limit_posts", 0)  # the members below reply faster than people do
        set_setting("new_user_approval_posts", 0)
        members = list(db.session.scalars(sa.select(User.id).where(User.email.like("%@bench.example")).limit(40)))
        category_id = db.session.scalar(sa.select(ForumCategory.id).limit(1))
        threads = {}
        for name, size in (("long", LONG_POSTS), ("short", SHORT_POSTS)):
            now = utcnow()
            title = f"Bench: a {name} thread about the E42 sync timeout"
            thread = Thread(category_id=category_id, author_id=members[0], title=title, slug=slugify(title),
                            status="published", last_post_at=now, created_at=now, updated_at=now)
            db.session.add(thread)
            db.session.flush()
            bodies = [post_body(rng, domain, general) for _ in range(size)]
            db.session.execute(sa.insert(Post), [
                {"thread_id": thread.id, "author_id": members[i % len(members)], "body_md": body,
                 "body_html": str(render_post(body)), "status": "published", "created_at": now}
                for i, body in enumerate(bodies)])
            db.session.commit()
            threads[name] = thread.id
        reindex({("thread", pk) for pk in threads.values()})  # bulk inserts fire no index hooks

        timings: dict[str, list[float]] = {"long": [], "short": []}
        for turn in range(spec["replies"] + 1):  # the first round warms caches and subscriptions: untimed
            for name in ("short", "long"):
                author = db.session.get(User, members[(turn * 7 + 3) % len(members)])
                text = post_body(rng, domain, general)
                started = time.perf_counter()
                reply(author, db.session.get(Thread, threads[name]), text)
                if turn:
                    timings[name].append((time.perf_counter() - started) * 1000)
                db.session.remove()
    return {"posts": {"long": LONG_POSTS, "short": SHORT_POSTS}, "replies_timed": spec["replies"],
            **{f"{name}_thread_median_ms": round(statistics.median(ms), 1) for name, ms in timings.items()},
            **{f"{name}_thread_max_ms": round(max(ms), 1) for name, ms in timings.items()}}


def summary_line(r: dict) -> str:
    return (f"  reply           {r['posts']['long']:,}-post thread: median {r['long_thread_median_ms']:.0f} ms "
            f"(max {r['long_thread_max_ms']:.0f});   {r['posts']['short']}-post thread: median "
            f"{r['short_thread_median_ms']:.0f} ms (max {r['short_thread_max_ms']:.0f});   "
            f"{r['replies_timed']} replies each")
