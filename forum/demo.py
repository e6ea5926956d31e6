"""Demo community content for `flask seed demo`: a few categories and threads, one answered.

Idempotent: categories are matched by slug and threads by title, so running it again
adds only what is missing. Authors are the demo accounts, which must exist already.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from forum.models import ForumCategory, Post, Tag, Thread, ThreadSubscription
from forum.text import render_post, slugify
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db

CATEGORIES = [
    ("orders-delivery", "Orders & delivery", "Tracking, delivery slots, missing or late parcels."),
    ("billing", "Billing", "Payments, invoices, refunds and anything on your statement."),
    ("products-setup", "Products & setup", "Getting things working at home, and keeping them working."),
    ("feedback", "Feedback", "Ideas for us, and what you would like to see next."),
]

# (category, title, tags, [(author email, text), ...], index of the accepted reply or None)
THREADS = [
    ("orders-delivery", "Courier says delivered, but the parcel isn't here", ["delivery", "missing-parcel"], [
        ("customer@example.com",
         "The tracking page switched to *Delivered* at 14:05 today, but there's nothing on the doorstep and "
         "nobody in the house took anything in. Has this happened to anyone else? What did you do?"),
        ("moderator@example.com",
         "This usually sorts itself out within a day. What worked for me:\n\n"
         "1. Open the tracking page again: couriers often attach a **photo of where they left it**.\n"
         "2. Ask the neighbours either side, and check any safe place you set up (porch, shed, bin store).\n"
         "3. Give it until the end of the next working day: parcels are sometimes scanned early.\n\n"
         "If it still hasn't turned up, ask the assistant in the chat for a person and mention your order "
         "number. They'll open a trace with the courier and send a replacement or a refund."),
        ("customer@example.com",
         "The photo showed a blue door that isn't mine: it was with number 12, two houses down. Thanks!"),
    ], 1),
    ("billing", "Two payments for one order on my bank statement?", ["payments", "statement"], [
        ("customer@example.com",
         "I ordered a desk on Monday and my banking app shows the amount twice. Have I been charged twice?"),
        ("agent@example.com",
         "One of those is very likely a **pending authorisation**: your bank holds the amount when you pay, "
         "and shows the real payment once the order ships. The hold drops off by itself, usually within 3 to "
         "5 working days. If both are still there after a week, get in touch and we'll look at it with you."),
    ], None),
    ("products-setup", "Smart lamp won't pair after I changed my router", ["smart-home", "wifi"], [
        ("moderator@example.com",
         "New router, same network name and password, but the lamp stays offline in the app. Any ideas "
         "before I reset everything?"),
        ("customer@example.com",
         "Mine needed a network reset even with the same name and password. In the app:\n\n"
         "```\nDevices > Lamp > Settings > Reset network\n```\n\n"
         "Then switch the lamp off and on three times and add it again. Also check the router isn't "
         "offering only a 5 GHz network: the lamp needs 2.4 GHz."),
    ], 1),
    ("feedback", "Could delivery slots show a narrower time window?", ["feedback", "delivery"], [
        ("customer@example.com",
         "A window of 7am to 7pm makes it hard to plan a day. Even a two-hour window on the morning of "
         "delivery would help a lot."),
        ("supervisor@example.com",
         "Thanks for raising this: we've passed it to the delivery team. Most couriers already send a "
         "one-hour window by text on the day; make sure your mobile number is on your account."),
    ], None),
    ("orders-delivery", "Can I change the delivery address after ordering?", ["delivery", "address"], [
        ("moderator@example.com",
         "I ordered to my old flat by mistake. Is there a way to change the address now?"),
    ], None),
]


def seed_forum() -> int:
    """Add the demo categories and threads that are missing; returns how many threads were added."""
    categories = {c.slug: c for c in db.session.scalars(sa.select(ForumCategory))}
    for position, (slug, name, description) in enumerate(CATEGORIES):
        if slug not in categories:
            categories[slug] = ForumCategory(slug=slug, name=name, description=description, position=position)
            db.session.add(categories[slug])
    existing = set(db.session.scalars(sa.select(Thread.title)))
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    tags = {t.name: t for t in db.session.scalars(sa.select(Tag))}
    added = 0
    start = utcnow() - timedelta(days=len(THREADS) + 1)
    for n, (cat_slug, title, tag_names, posts, accepted) in enumerate(THREADS):
        if title in existing or any(email not in users for email, _ in posts):
            continue
        when = start + timedelta(days=n)
        author = users[posts[0][0]]
        thread = Thread(category=categories[cat_slug], author_id=author.id, title=title, slug=slugify(title),
                        created_at=when, updated_at=when, last_post_at=when + timedelta(hours=len(posts) - 1),
                        views=7 * (len(THREADS) - n) + 3)
        thread.tags = [tags.setdefault(name, Tag(name=name)) for name in tag_names]
        rows = [Post(thread=thread, author_id=users[email].id, body_md=text, body_html=str(render_post(text)),
                     created_at=when + timedelta(hours=i)) for i, (email, text) in enumerate(posts)]
        db.session.add_all([thread, *rows])
        db.session.flush()
        for user_id in {users[email].id for email, _ in posts}:
            db.session.add(ThreadSubscription(thread_id=thread.id, user_id=user_id))
        if accepted is not None:
            thread.accepted_post_id, thread.accepted_by_id, thread.accepted_at = rows[accepted].id, author.id, when
        added += 1
    db.session.commit()
    return added


def seed_demo() -> str | None:
    """The forum's part of `flask seed demo`: what was added, for the command to print."""
    added = seed_forum()
    return f"Community: {added} demo threads added" if added else None
