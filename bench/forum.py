"""Forum benchmarks: thread pages under load, and search with the community beside the articles.

(a) ``pages``: a throwaway instance (SQLite, the real KB articles) gets 1,000 threads of 20
    posts each (100 with --quick), bulk-inserted, then gunicorn (2 gthread workers) serves
    GET /forum/t/<id> for threads in random order, then /forum and the category lists.
(b) ``search``: the same database grows to 5,000 threads of 20 posts (100,000 posts; 500
    threads with --quick), the index is rebuilt the way `flask search reindex` does it
    (timed), and a mix of article-like and community-like queries, some filtered by type,
    goes through the portal's search service in one process.
(c) ``reply``: in that instance, replies to a thread of 1,000 posts beside replies to one
    of 5 (bench/forum_reply.py).

Post bodies are generated Markdown of 300-800 characters, stitched from real text (Bitext
support answers, GoEmotions comments; see corpus.py), with lists, links, inline code and
fenced code blocks. Titles are real customer requests or product problems.

run.py loads this file as ``bench_forum``: the name ``forum`` is the portal's package. The
seeding and the in-process search run in child processes (``python bench/forum.py --child
...``) with the instance's environment, as run.py's --app-timing does, so nothing here
touches the developer's instance/.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(BENCH), str(ROOT)):  # ROOT first: `import forum` must find the portal's package, not this file
    if _p in sys.path:
        sys.path.remove(_p)
    sys.path.insert(0, _p)

import corpus  # noqa: E402  (bench/corpus.py)
from forum_content import (  # noqa: E402
    BATCH_THREADS,
    CHILD_TIMEOUT,
    POSTS_PER_THREAD,
    TAGS,
    post_body,
    requests_for_titles,
    search_queries,
    thread_title,
)
from forum_reply import child_reply, summary_line  # noqa: E402


def child_seed(spec: dict) -> dict:
    """Bulk-insert ``threads`` threads of 20 posts (Core/ORM bulk statements: no search hooks fire)."""
    import sqlalchemy as sa

    from forum.demo import CATEGORIES
    from forum.models import ForumCategory, Post, PostVote, Tag, Thread, ThreadSubscription, thread_tags
    from forum.text import render_post, slugify
    from portal import create_app
    from portal.auth.models import User
    from portal.auth.services import get_or_create_role
    from portal.clock import utcnow
    from portal.extensions import db

    rng = random.Random(spec["seed"])
    domain, general = corpus._sentences()
    requests = requests_for_titles()
    app = create_app()
    t_start = time.perf_counter()
    render_s = 0.0
    paths: list[str] = []
    with app.app_context():
        cats = {c.slug: c for c in db.session.scalars(sa.select(ForumCategory))}
        for position, (slug, name, description) in enumerate(CATEGORIES):
            if slug not in cats:
                cats[slug] = ForumCategory(slug=slug, name=name, description=description, position=position)
                db.session.add(cats[slug])
        tags = {t.name: t for t in db.session.scalars(sa.select(Tag))}
        for name in TAGS:
            if name not in tags:
                tags[name] = Tag(name=name)
                db.session.add(tags[name])
        members = list(db.session.scalars(sa.select(User.id).where(User.email.like("%@bench.example"))))
        if not members:
            role = get_or_create_role("customer")
            users = [User(email=f"member{i}@bench.example", name=f"Member {i}", password_hash="!", roles=[role])
                     for i in range(spec.get("members", 300))]
            db.session.add_all(users)
            db.session.flush()
            members = [u.id for u in users]
        db.session.commit()
        cat_ids = [cats[slug].id for slug, *_ in CATEGORIES]
        tag_ids = [tags[name].id for name in TAGS]
        start = utcnow() - timedelta(days=400)
        remaining = spec["threads"]
        while remaining > 0:
            n = min(BATCH_THREADS, remaining)
            remaining -= n
            threads, posts = [], []
            for _ in range(n):
                when = start + timedelta(minutes=rng.randint(0, 400 * 24 * 60))
                title = thread_title(rng, requests)
                author = rng.choice(members)
                bodies = [post_body(rng, domain, general) for _ in range(POSTS_PER_THREAD)]
                t0 = time.perf_counter()
                rendered = [str(render_post(b)) for b in bodies]
                render_s += time.perf_counter() - t0
                times = [when + timedelta(minutes=37 * i + rng.randint(0, 30)) for i in range(POSTS_PER_THREAD)]
                threads.append({"category_id": rng.choice(cat_ids), "author_id": author, "title": title,
                                "slug": slugify(title), "status": "published", "locked": False, "pinned": False,
                                "views": rng.randint(0, 5000), "last_post_at": times[-1], "created_at": when,
                                "updated_at": when})
                authors = [author] + [rng.choice(members) for _ in range(POSTS_PER_THREAD - 1)]
                posts.append([{"author_id": a, "body_md": b, "body_html": h, "status": "published",
                               "created_at": t} for a, b, h, t in zip(authors, bodies, rendered, times, strict=True)])
            ids = db.session.scalars(sa.insert(Thread).returning(Thread.id, sort_by_parameter_order=True),
                                     threads).all()
            rows = [{**p, "thread_id": tid} for tid, thread_posts in zip(ids, posts, strict=True) for p in thread_posts]
            post_ids = db.session.scalars(sa.insert(Post).returning(Post.id, sort_by_parameter_order=True), rows).all()
            accepted, votes, subs, tagged = [], [], [], []
            for k, (tid, thread) in enumerate(zip(ids, threads, strict=True)):
                own = post_ids[k * POSTS_PER_THREAD:(k + 1) * POSTS_PER_THREAD]
                if rng.random() < 0.4:
                    accepted.append({"id": tid, "accepted_post_id": rng.choice(own[1:]),
                                     "accepted_by_id": thread["author_id"], "accepted_at": thread["last_post_at"]})
                for pid in rng.sample(own, 5):
                    for voter in rng.sample(members, rng.randint(1, 4)):
                        votes.append({"post_id": pid, "user_id": voter, "created_at": thread["last_post_at"]})
                subs.append({"thread_id": tid, "user_id": thread["author_id"], "created_at": thread["created_at"]})
                tagged += [{"thread_id": tid, "tag_id": t} for t in rng.sample(tag_ids, rng.randint(0, 3))]
                paths.append(f"/forum/t/{tid}-{thread['slug']}")
            if accepted:
                db.session.execute(sa.update(Thread), accepted)
            unique_votes = list({(v["post_id"], v["user_id"]): v for v in votes}.values())
            db.session.execute(sa.insert(PostVote), unique_votes)
            db.session.execute(sa.insert(ThreadSubscription), subs)
            if tagged:
                db.session.execute(sa.insert(thread_tags), tagged)
            db.session.commit()
        counts = dict(db.session.execute(
            sa.select(ForumCategory.slug, sa.func.count(Thread.id)).join(Thread, Thread.category_id == ForumCategory.id)
            .group_by(ForumCategory.slug)).all())
        totals = db.session.execute(sa.select(sa.func.count(Thread.id))).scalar_one(), \
            db.session.execute(sa.select(sa.func.count(Post.id))).scalar_one()
    seconds = time.perf_counter() - t_start
    posts_added = spec["threads"] * POSTS_PER_THREAD
    return {"threads_added": spec["threads"], "posts_added": posts_added, "seconds": round(seconds, 2),
            "render_markdown_s": round(render_s, 2), "posts_per_s": round(posts_added / seconds, 1),
            "threads_total": totals[0], "posts_total": totals[1], "threads_by_category": counts,
            "thread_paths": paths}


# ---------------------------------------------------------------------- child: index and search
def child_search(spec: dict) -> dict:
    """Rebuild the index from the database as `flask search reindex` does, then time the queries
    through portal.search.services.search (spelling, facets, snippets, the miss log)."""
    from sqlalchemy.orm import Session

    from portal import create_app
    from portal.extensions import db
    from portal.search.indexing import all_documents, count_documents
    from portal.search.services import search

    app = create_app()
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        backend = app.extensions["search"]
        with Session(db.engine) as session:
            rows = count_documents(session)
            t0 = time.perf_counter()
            indexed = backend.rebuild(all_documents(session))
            build_s = time.perf_counter() - t0
        backend.close()
        size = round(sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 1e6, 2)
        queries = [tuple(q) for q in spec["queries"]]
        t0 = time.perf_counter()
        search("reset my password", per_page=10)  # untimed: opens the index and the searcher
        warmup_ms = (time.perf_counter() - t0) * 1000
        passes = {}
        for name in ("first_pass", "warm_pass"):
            timings = []
            for group, q, doc_type in queries:
                t0 = time.perf_counter()
                found = search(q, page=1, per_page=10, doc_type=doc_type)
                timings.append((group, q, doc_type, (time.perf_counter() - t0) * 1000, found.total,
                                sum(h.type == "thread" for h in found.hits)))
            passes[name] = timings
    return {"documents_in_database": rows, "documents_indexed": indexed, "index_build_s": round(build_s, 2),
            "index_size_mb": size, "warmup_query_ms": round(warmup_ms, 2), "passes": passes}


# ---------------------------------------------------------------------- the section
def _child(kind: str, spec: dict, env: dict, logfile: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    with open(logfile, "a") as fh:
        fh.write(f"$ forum.py --child {kind}\n{proc.stderr[-5000:]}\n")
    m = re.search(r"^BENCH_JSON (\{.*\})$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"forum {kind} child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(m.group(1))


def _load(kit, base: str, port: int, paths: list[str], seconds: float, use_wrk: bool, workdir: Path, name: str):
    warm_s = 1 if seconds <= 5 else 3
    if use_wrk:
        kit.load_wrk(base, paths, warm_s, 2, 16, workdir, name)
        return kit.load_wrk(base, paths, seconds, 2, 16, workdir, name)
    kit.load_python(port, paths, warm_s, 8)
    return kit.load_python(port, paths, seconds, 8)


def _latency_groups(kit, timings: list) -> dict:
    groups = {"all": timings,
              "article_like": [t for t in timings if t[0] == "article_like" and t[2] is None],
              "community_like": [t for t in timings if t[0] == "community_like" and t[2] is None],
              "type_filtered": [t for t in timings if t[2] is not None]}
    out = {}
    for name, rows in groups.items():
        if not rows:
            continue
        stats = kit.latency_stats([r[3] for r in rows])
        stats["zero_result_share"] = round(sum(r[4] == 0 for r in rows) / len(rows), 3)
        stats["mean_total_hits"] = round(statistics.fmean(r[4] for r in rows), 1)
        # How much of what people see first is community threads (the rest: articles).
        stats["threads_in_top10_share"] = round(sum(r[5] for r in rows) / max(1, sum(min(10, r[4]) for r in rows)), 3)
        out[name] = stats
    return out


def bench_forum(kit, workdir: Path, *, quick: bool, seconds: float, generator: str, log) -> dict:
    """kit: bench/run.py's helpers (Gunicorn, load generators, latency_stats, ...), passed in by run.py."""
    page_threads, search_threads = (100, 500) if quick else (1000, 5000)
    instance = workdir / "forum-instance"
    env = kit.instance_env(instance)
    logfile = workdir / "forum-setup.log"
    out: dict = {"posts_per_thread": POSTS_PER_THREAD, "database": "sqlite (throwaway instance)"}
    log("forum: flask db upgrade, kb sync")
    kit.run_cli([str(kit.VENV_BIN / "flask"), "db", "upgrade"], env, logfile)
    kit.run_cli([str(kit.VENV_BIN / "flask"), "kb", "sync"], env, logfile)

    log(f"forum: seeding {page_threads} threads x {POSTS_PER_THREAD} posts")
    seeded = _child("seed", {"threads": page_threads, "seed": 1}, env, logfile)
    paths = seeded.pop("thread_paths")
    out["seed_pages"] = seeded

    rng = random.Random(5)
    thread_paths = []
    for _ in range(2000):  # random threads, by permalink with or without the slug, now and then ?page=1
        path = rng.choice(paths)
        roll = rng.random()
        thread_paths.append(path.split("-", 1)[0] if roll < 0.3 else f"{path}?page=1" if roll < 0.4 else path)
    category_paths = []
    for slug, n in sorted(seeded["threads_by_category"].items()):
        pages = max(1, -(-n // 20))
        category_paths += [f"/forum/c/{slug}?page={rng.randint(1, pages)}" for _ in range(50)]
    rng.shuffle(category_paths)
    runs = [("thread_pages", thread_paths), ("forum_index", ["/forum"]), ("category_pages", category_paths)]
    use_wrk = generator == "wrk" or (generator == "auto" and shutil.which("wrk"))

    log("forum: in-process cost per request (Flask test client)")
    try:
        out["app_in_process"] = kit.app_timing(env, [(n, p[:200]) for n, p in runs], 50 if quick else 200)
    except Exception as exc:  # noqa: BLE001  (a diagnostic only)
        out["app_in_process"] = {"error": f"{exc.__class__.__name__}: {exc}"}

    port = kit.free_port()
    server = kit.Gunicorn(env, port, 2, workdir / "forum-gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    out["pages"] = {"workers": 2, "worker_class": kit.WORKER_CLASS, "threads": kit.THREADS}
    try:
        log(f"forum: starting gunicorn (2 workers) on port {port}")
        out["pages"]["server_startup_s"] = round(server.start(), 2)
        out["pages"]["server_command"] = server.command
        for name, run_paths in runs:
            result = {"urls": len(run_paths), "precheck": kit.check_paths(base, run_paths[:40]),
                      "loadavg_before": kit.loadavg()}
            log(f"forum: {name}: warm-up, then {seconds:g}s measured")
            result.update(_load(kit, base, port, run_paths, seconds, use_wrk, workdir, f"forum-{name}"))
            result["errors"] = result["non_2xx"] + sum(result["socket_errors"].values())
            out["pages"][name] = result
            if server.proc is None or server.proc.poll() is not None:
                raise RuntimeError(f"gunicorn died during the {name} run:\n{server.tail()}")
    finally:
        server.stop()

    more = search_threads - page_threads
    log(f"forum: seeding {more} more threads ({search_threads * POSTS_PER_THREAD:,} posts in all)")
    seeded = _child("seed", {"threads": more, "seed": 2}, env, logfile)
    seeded.pop("thread_paths")
    out["seed_search"] = seeded
    queries = search_queries(120 if quick else 240)
    log(f"forum: rebuilding the index and timing {len(queries)} queries")
    raw = _child("search", {"queries": queries}, env, logfile)
    passes = raw.pop("passes")
    docs = raw["documents_indexed"]
    raw["index_build_docs_per_s"] = round(docs / raw["index_build_s"], 1)
    raw["index_build_posts_per_s"] = round(seeded["posts_total"] / raw["index_build_s"], 1)
    raw["posts_indexed"] = seeded["posts_total"]
    raw["queries"] = len(queries)
    raw["latency_first_pass"] = _latency_groups(kit, passes["first_pass"])
    raw["latency_warm_pass"] = _latency_groups(kit, passes["warm_pass"])
    raw["slowest_first_pass"] = [{"query": q, "type": t, "ms": round(ms, 2), "total_hits": total}
                                 for _, q, t, ms, total, _ in sorted(passes["first_pass"], key=lambda r: -r[3])[:5]]
    out["search"] = raw
    log("forum: replies to a 1,000-post thread and a 5-post one")
    out["reply"] = _child("reply", {"replies": 5 if quick else 15}, env, logfile)
    return out


def summary_lines(r: dict) -> list[str]:
    if "error" in r:
        return [f"Forum: ERROR {r['error'][:500]}"]
    p, s = r["pages"], r["search"]
    lines = [f"Forum pages ({r['seed_pages']['threads_total']:,} threads x {r['posts_per_thread']} posts, gunicorn "
             f"-w {p['workers']} {p['worker_class']} x{p['threads']}, SQLite)"]
    for name in ("thread_pages", "forum_index", "category_pages"):
        x = p.get(name, {})
        if "requests_per_s" in x:
            lines.append(f"  {name:<15} {x['requests_per_s']:>7.1f} req/s   p50 {x['latency_p50_ms']:>6.1f} ms   "
                         f"p95 {x['latency_p95_ms']:>6.1f} ms   p99 {x['latency_p99_ms']:>6.1f} ms   "
                         f"errors {x['errors']}")
    lines.append(f"Forum search ({s['posts_indexed']:,} posts in {s['documents_indexed']:,} documents with the "
                 f"articles): build {s['index_build_s']:.0f} s ({s['index_build_docs_per_s']:.0f} docs/s, "
                 f"{s['index_build_posts_per_s']:.0f} posts/s), index {s['index_size_mb']:.0f} MB")
    for name, x in s["latency_first_pass"].items():
        lines.append(f"  {name:<15} p50 {x['p50_ms']:>6.1f} ms   p95 {x['p95_ms']:>6.1f} ms   "
                     f"p99 {x['p99_ms']:>6.1f} ms   ({x['count']} queries, zero-hit {x['zero_result_share']:.0%}, "
                     f"threads in the top 10 {x['threads_in_top10_share']:.0%})")
    if "reply" in r:
        lines.append(summary_line(r["reply"]))
    return lines


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    result = {"seed": child_seed, "search": child_search, "reply": child_reply}[sys.argv[2]](json.loads(sys.argv[3]))
    print("BENCH_JSON " + json.dumps(result, default=str))
