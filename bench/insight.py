"""The supervisor dashboard's figures at 100,000 conversations and 1,000,000 messages
(10,000 and 100,000 with --quick), on PostgreSQL when given one, else SQLite.

A child process with a clean environment builds the schema by the real migrations (on
PostgreSQL in a schema of its own, dropped at the end), bulk-loads half a year of history
(bench/insight_data.py) and times the dashboard's queries (portal.insight.sections.build,
everything /supervisor asks the database) for four filters: the default last 30 days, a
team, a channel, and a whole year. Then the baseline, in the same run on the same data:
the same queries with the indexes the insight migration added dropped. Last, the whole page
(GET /supervisor through Flask's test client, rendering included) for the default filters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 300
# What migration d4e5f6a7b8c9 added for these figures (the forum's thread index is not read here).
INSIGHT_INDEXES = {
    "ix_chat_conversations_created_at": "chat_conversations (created_at)",
    "ix_chat_messages_scored": "chat_messages (conversation_id, id) INCLUDE (frustration_score, frustration_level) "
                               "WHERE sender = 'customer' AND frustration_score IS NOT NULL",
    "ix_tickets_created_at": "tickets (created_at)",
    "ix_tickets_customer_id_created_at": "tickets (customer_id, created_at)",
    "ix_ticket_events_kind_ticket_id_created_at": "ticket_events (kind, ticket_id, created_at)",
}
ENV_DROP = ("DATABASE_URL", "SEARCH_INDEX_DIR", "KB_ARTICLES_DIR", "REDIS_URL", "CALMLINE_ENV", "SEARCH_BACKEND",
            "SEARCH_DATABASE_URL")


def bench_insight(workdir: Path, quick: bool, database_url: str | None, log) -> dict:
    """Run the section in a child process; its JSON is the section's result."""
    out = workdir / "insight.json"
    instance = workdir / "insight-instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update(CALMLINE_INSTANCE_DIR=str(instance), SECRET_KEY="bench", PYTHONDONTWRITEBYTECODE="1",
               SEARCH_INDEX_DIR=str(instance / "search_index"))
    config = {"quick": quick, "database_url": database_url, "out": str(out)}
    log(f"insight: {'10,000' if quick else '100,000'} conversations on "
        f"{'PostgreSQL' if database_url else 'SQLite'}")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(config)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"insight child failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(out.read_text())


# ---------------------------------------------------------------------- the child
def _child(config: dict) -> None:
    # The portal's packages first: bench/forum.py must not shadow the forum package.
    bench = str(ROOT / "bench")
    sys.path[:] = [str(ROOT), *(p for p in sys.path if p not in (bench, str(ROOT))), bench]
    import sqlalchemy as sa
    from common import latency_stats
    from insight_data import History, load

    schema = f"insight_bench_{os.getpid()}"
    url = _url(config["database_url"], schema)
    if url.startswith("postgresql"):
        _run_sql(url, f"CREATE SCHEMA {schema}", plain=True)
    try:
        from flask_migrate import upgrade

        from portal import create_app
        from portal.clock import utcnow
        from portal.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        result: dict = {"database": "postgresql" if url.startswith("postgresql") else "sqlite",
                        "target_p95_ms": TARGET_P95_MS}
        with app.app_context():
            upgrade()
            teams = dict(db.session.execute(sa.text("SELECT slug, id FROM teams")).all())
            conversations = 10_000 if config["quick"] else 100_000
            t0 = time.perf_counter()
            history = History(conversations, utcnow().replace(microsecond=0), teams)
            generated = time.perf_counter() - t0
            rows = load(db.engine, db.metadata, history)
            built = time.perf_counter() - t0
            del history
            _analyze(db.engine)
            result["rows"] = rows
            result["generate_s"], result["build_s"] = round(generated, 1), round(built, 1)
            result["analyze_s"] = round(time.perf_counter() - t0 - built, 1)
            runs = 5 if config["quick"] else 20
            result["loadavg"] = {"start": os.getloadavg()[0]}
            result["with_indexes"] = _time_filters(app, runs, latency_stats)
            result["page"] = _time_page(app, runs, latency_stats)
            for name in INSIGHT_INDEXES:
                db.session.execute(sa.text(f"DROP INDEX {name}"))
            db.session.commit()
            _analyze(db.engine)
            result["without_insight_indexes"] = _time_filters(app, max(3, runs // 4), latency_stats)
            result["indexes"] = INSIGHT_INDEXES
            result["loadavg"]["end"] = os.getloadavg()[0]
            headline = result["with_indexes"]["last_30_days"]["all_sections"]
            result["dashboard_p95_ms"] = headline["p95_ms"]
            result["baseline_p95_ms"] = result["without_insight_indexes"]["last_30_days"]["all_sections"]["p95_ms"]
            result["meets_target"] = headline["p95_ms"] <= TARGET_P95_MS
            db.session.remove()
            db.engine.dispose()
        Path(config["out"]).write_text(json.dumps(result, indent=2, default=str))
    finally:
        if url.startswith("postgresql"):
            _run_sql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE", plain=True)


def _url(database_url: str | None, schema: str) -> str:
    if not database_url:
        return f"sqlite:///{os.environ['CALMLINE_INSTANCE_DIR']}/insight_bench.db"
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://",
                                                                                   "postgresql+psycopg://", 1)
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def _run_sql(url: str, statement: str, plain: bool = False) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url.split("?options=")[0].split("&options=")[0] if plain else url,
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def _analyze(engine) -> None:
    import sqlalchemy as sa

    if engine.dialect.name == "postgresql":  # VACUUM as well: index-only scans need the visibility map
        _run_sql(engine.url.render_as_string(hide_password=False), "VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def _filters(now):
    from portal.insight.filters import Filters

    today = now.date()
    month = today - timedelta(days=29)
    return {
        "last_30_days": Filters(month, today, None, None, now),
        "team_billing_30_days": Filters(month, today, "billing", None, now),
        "channel_chat_30_days": Filters(month, today, None, "chat", now),
        "year": Filters(today - timedelta(days=365), today, None, None, now),
    }


def _time_filters(app, runs: int, latency_stats) -> dict:
    """Per filter: every section's queries as the page runs them, and each section on its own."""
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.insight.sections import SECTIONS, build

    out = {}
    for name, f in _filters(utcnow()).items():
        build(f)  # warm: plans, caches
        db.session.rollback()
        page, by_section = [], {key: [] for key in SECTIONS}
        for _ in range(runs):
            t0 = time.perf_counter()
            build(f)
            page.append((time.perf_counter() - t0) * 1000)
            db.session.rollback()
            for key in SECTIONS:
                t0 = time.perf_counter()
                build(f, [key])
                by_section[key].append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
        out[name] = {"all_sections": latency_stats(page),
                     "sections_p95_ms": {k: latency_stats(v)["p95_ms"] for k, v in by_section.items()}}
    return out


def _time_page(app, runs: int, latency_stats) -> dict:
    """GET /supervisor (default filters) as a signed-in supervisor, rendering and all."""
    from portal.auth.services import create_user

    with app.app_context():
        create_user("supervisor@bench.example", "bench-supervisor-2026", ["supervisor"], name="Sam")
    client = app.test_client()
    client.post("/auth/login", data={"email": "supervisor@bench.example", "password": "bench-supervisor-2026"})
    if client.get("/supervisor").status_code != 200:
        raise RuntimeError("GET /supervisor did not answer 200")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get("/supervisor")
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return latency_stats(times) | {"bytes": len(response.data)}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
    else:
        sys.exit("run through bench/run.py (the insight section)")


def summary_lines(r: dict) -> list[str]:
    if "error" in r:
        return [f"Supervisor dashboard: ERROR {r['error'][:500]}"]
    rows = r["rows"]
    lines = [f"Supervisor dashboard ({rows['chat_conversations']:,} conversations, {rows['chat_messages']:,} messages, "
             f"{rows['tickets']:,} tickets, {r['database']}; built in {r['build_s']} s)"]
    for name, timed in r["with_indexes"].items():
        base = r["without_insight_indexes"][name]["all_sections"]
        slowest = max(timed["sections_p95_ms"].items(), key=lambda kv: kv[1])
        lines.append(f"  {name:<22} all queries p95 {timed['all_sections']['p95_ms']:.0f} ms   "
                     f"without the insight indexes {base['p95_ms']:.0f} ms   "
                     f"(slowest section {slowest[0]} {slowest[1]:.0f} ms)")
    lines.append(f"  GET /supervisor (rendered, last 30 days) p95 {r['page']['p95_ms']:.0f} ms; "
                 f"target p95 <= {r['target_p95_ms']} ms for the queries: {'MET' if r['meets_target'] else 'NOT MET'}")
    load = r.get("loadavg", {})
    lines.append(f"  load average {load.get('start', 0):.1f} at the start, {load.get('end', 0):.1f} at the end "
                 f"({os.cpu_count()} CPUs)")
    return lines
