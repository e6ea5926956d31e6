"""Calmline benchmarks: search latency, article/API throughput, search quality, chat turns
through the real bot, the frustration detector's speed and the bot's memory, and the
community forum (thread pages under load, search with 100,000 posts beside the articles).

Run from the repository root:

    .venv/bin/python bench/run.py                 # full run (~5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick         # 1,000 articles, 5 s load runs
    .venv/bin/python bench/run.py --sizes 1000,10000 --load-seconds 20

Writes bench/results.json and prints a summary. Everything temporary lives in a
directory under bench/.work/ (git-ignored) that is removed at the end; the
gunicorn server it starts is stopped at the end, also on error or Ctrl-C.
Benchmarks are not tests: nothing here fails on a slow number, only on a crash.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

for p in (str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)):
    if p not in sys.path:
        sys.path.insert(0, p)

import chat  # noqa: E402  (bench/chat.py)
import corpus  # noqa: E402  (bench/corpus.py, after the sys.path setup)
import insight  # noqa: E402  (bench/insight.py: the supervisor dashboard)
import live  # noqa: E402  (bench/live.py)
import nlu  # noqa: E402  (bench/nlu.py)
import search_engines  # noqa: E402  (bench/search_engines.py)
import streams  # noqa: E402  (bench/streams.py: open event streams at scale)
from common import (  # noqa: E402
    BENCH,
    RESULTS,
    THREADS,
    VENV_BIN,
    WORK,
    WORKER_CLASS,
    CpuMeter,
    forum_bench,
    latency_stats,
    loadavg,
    log,
    machine_info,
)
from search_latency import bench_search, time_queries, to_document  # noqa: E402
from summary import summary  # noqa: E402
from throughput import (  # noqa: E402
    Gunicorn,
    app_timing,
    app_timing_child,
    bench_pages,
    check_paths,
    free_port,
    instance_env,
    load_python,
    load_wrk,
    run_cli,
)


def forum_kit() -> SimpleNamespace:
    """What bench/forum.py borrows from the other sections."""
    return SimpleNamespace(Gunicorn=Gunicorn, THREADS=THREADS, VENV_BIN=VENV_BIN, WORKER_CLASS=WORKER_CLASS,
                           app_timing=app_timing, check_paths=check_paths, free_port=free_port,
                           instance_env=instance_env, latency_stats=latency_stats, load_python=load_python,
                           load_wrk=load_wrk, loadavg=loadavg, run_cli=run_cli)


# ---------------------------------------------------------------------- 3. quality
def bench_quality(pg_url: str | None = None) -> dict:
    path = BENCH / "search_quality.py"
    if not path.exists():
        return {"skipped": "bench/search_quality.py does not exist"}
    t0 = time.perf_counter()
    try:
        spec = importlib.util.spec_from_file_location("bench_search_quality", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        evaluate = getattr(module, "evaluate", None)
        if not callable(evaluate):
            return {"skipped": "bench/search_quality.py has no evaluate()"}
        result = evaluate(pg_url)
        if not isinstance(result, dict):
            result = {"value": result}
        result = json.loads(json.dumps(result, default=str))
        result.setdefault("evaluate_s", round(time.perf_counter() - t0, 2))
        return result
    except Exception as exc:  # noqa: BLE001  (another helper's code: record, don't crash the run)
        return {"error": f"{exc.__class__.__name__}: {exc}", "traceback": traceback.format_exc()[-3000:],
                "evaluate_s": round(time.perf_counter() - t0, 2)}


# ---------------------------------------------------------------------- main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="1,000 articles only, 5-second load runs, a forum of 100 threads and 10,000 posts (smoke test)")
    ap.add_argument("--sizes", help="comma-separated corpus sizes, default 1000,10000 (1000 with --quick)")
    ap.add_argument("--load-seconds", type=float, help="seconds per measured load run (default 20, 5 with --quick)")
    ap.add_argument("--worker-class", choices=("gthread", "sync"), default=WORKER_CLASS,
                    help=f"gunicorn worker class (default {WORKER_CLASS}, {THREADS} threads, as in the Procfile)")
    ap.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                    help="load generator: wrk if installed (auto), or force one")
    ap.add_argument("--skip", default="",
                    help="comma-separated sections to skip: search,pages,quality,detector,understanding,nlu_cv,chat,live,"
                         "streams,forum,insight")
    ap.add_argument("--chat-conversations", type=int, help="conversations of 8 turns for the chat run (default 25)")
    ap.add_argument("--synthetic-vectors", action="store_true",
                    help="search: fixed pseudo-random document vectors at every size (latency only, no embedding)")
    ap.add_argument("--search-database-url", default=os.environ.get("BENCH_SEARCH_DATABASE_URL"),
                    help="PostgreSQL for the search section's PostgreSQL engine, beside Whoosh "
                         "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    ap.add_argument("--live-database-url", default=os.environ.get("BENCH_LIVE_DATABASE_URL"),
                    help="PostgreSQL for the live section, e.g. postgresql://postgres@127.0.0.1:5432/bench "
                         "(default: BENCH_LIVE_DATABASE_URL, else a SQLite file); its tables are reused")
    ap.add_argument("--insight-database-url", default=os.environ.get("BENCH_INSIGHT_DATABASE_URL"),
                    help="PostgreSQL for the supervisor dashboard section, e.g. postgresql://postgres@127.0.0.1:5432/bench "
                         "(default: BENCH_INSIGHT_DATABASE_URL, else a SQLite file); it works in a schema of its own, "
                         "dropped at the end")
    ap.add_argument("--output", default=str(RESULTS), help="where to write the JSON (default bench/results.json)")
    args = ap.parse_args(argv)
    if args.sizes:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        args.sizes = [1000] if args.quick else [1000, 10000]
    if args.load_seconds is None:
        args.load_seconds = 5.0 if args.quick else 20.0
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.chat_conversations is None:
        args.chat_conversations = 5 if args.quick else 25
    return args


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)  # run the finally blocks: stop gunicorn, remove the temp dir


def main(argv=None) -> int:
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--app-timing":
        app_timing_child(sys.argv[2])
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    started = time.perf_counter()
    results: dict = {
        "machine": machine_info(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": {"quick": args.quick, "sizes": args.sizes, "load_seconds": args.load_seconds,
                    "generator": args.generator, "worker_class": args.worker_class, "skip": sorted(args.skip)},
        "loadavg_start": loadavg(),
        "search": {},
        "cpu_usage": {},
        "errors": [],
    }
    WORK.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=WORK))
    try:
        if "search" not in args.skip:
            if args.synthetic_vectors:
                search_engines.EMBED_UP_TO = 0
            queries = corpus.realistic_queries(200)
            for size in args.sizes:
                meter = CpuMeter()
                try:
                    results["search"][str(size)] = bench_search(size, queries, workdir)
                    results["cpu_usage"][f"search_{size}"] = meter.result()
                    if args.search_database_url:
                        results["search"][f"{size}_postgresql"] = search_engines.bench_postgres(
                            size, lambda size=size: (to_document(i, a) for i, a in
                                                     enumerate(corpus.generate_articles(size))),
                            queries, args.search_database_url, time_queries, latency_stats, log)
                except Exception as exc:  # noqa: BLE001
                    results["search"][str(size)] = {"error": f"{exc.__class__.__name__}: {exc}",
                                                    "traceback": traceback.format_exc()[-3000:]}
                    results["errors"].append(f"search {size}: {exc.__class__.__name__}: {exc}")
            try:
                results["search_relevance"] = search_engines.relevance(args.search_database_url)
            except Exception as exc:  # noqa: BLE001
                results["errors"].append(f"search relevance: {exc.__class__.__name__}: {exc}")
        if "pages" not in args.skip:
            meter = CpuMeter()
            try:
                results["pages"] = bench_pages(workdir, args.load_seconds, args.generator, args.worker_class)
                results["cpu_usage"]["pages"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["pages"] = {"error": f"{exc.__class__.__name__}: {exc}",
                                    "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"pages: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "quality" not in args.skip:
            log("search quality: evaluate()")
            meter = CpuMeter()
            results["search_quality"] = bench_quality(args.search_database_url)
            results["cpu_usage"]["search_quality"] = meter.result()
            if "error" in results["search_quality"]:
                results["errors"].append(f"search_quality: {results['search_quality']['error']}")
        if "detector" not in args.skip:
            log("frustration detector: messages per second")
            try:
                results["detector"] = chat.bench_detector()
            except Exception as exc:  # noqa: BLE001
                results["detector"] = {"error": f"{exc.__class__.__name__}: {exc}"}
                results["errors"].append(f"detector: {exc.__class__.__name__}: {exc}")
        for section, run in (("understanding", lambda: nlu.bench_understanding(log)),
                             ("nlu_cv", lambda: nlu.bench_cross_validation(log))):
            if section in args.skip or (args.quick and section == "nlu_cv"):
                continue
            try:
                results[section] = run()
            except Exception as exc:  # noqa: BLE001
                detail = getattr(exc, "stderr", b"") or b""
                results[section] = {"error": f"{exc.__class__.__name__}: {exc} {detail[-1500:].decode(errors='replace')}"}
                results["errors"].append(f"{section}: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "chat" not in args.skip:
            meter = CpuMeter()
            try:
                results["chat"] = chat.bench_chat_turns(args.chat_conversations, latency_stats, log)
                results["cpu_usage"]["chat"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["chat"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                   "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"chat: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "live" not in args.skip:
            meter = CpuMeter()
            try:
                results["live"] = live.bench_live(latency_stats, log, chats=10 if args.quick else 50,
                                                  ramp=() if args.quick else (100, 150, 200),
                                                  database_url=args.live_database_url)
                results["cpu_usage"]["live"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["live"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                   "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"live: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "streams" not in args.skip:
            meter = CpuMeter()
            try:
                results["streams"] = streams.bench_streams(latency_stats, log, levels=(50,) if args.quick else
                                                           streams.LEVELS, database_url=args.live_database_url)
                results["cpu_usage"]["streams"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["streams"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                      "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"streams: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "forum" not in args.skip:
            meter = CpuMeter()
            try:
                results["forum"] = forum_bench().bench_forum(forum_kit(), workdir, quick=args.quick,
                                                             seconds=args.load_seconds, generator=args.generator,
                                                             log=log)
                results["cpu_usage"]["forum"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["forum"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                    "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"forum: {exc.__class__.__name__}: {str(exc)[:300]}")
        if "insight" not in args.skip:
            meter = CpuMeter()
            try:
                results["insight"] = insight.bench_insight(workdir, args.quick, args.insight_database_url, log)
                results["cpu_usage"]["insight"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["insight"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                      "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"insight: {exc.__class__.__name__}: {str(exc)[:300]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            WORK.rmdir()  # only if nothing else (a concurrent run) is in it
        except OSError:
            pass
        results["loadavg_end"] = loadavg()
        results["duration_s"] = round(time.perf_counter() - started, 1)
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(summary(results))
    print(f"\nwrote {args.output}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
