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
import http.client
import importlib.util
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results.json"
VENV_BIN = ROOT / ".venv" / "bin"

for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import chat  # noqa: E402  (bench/chat.py)
import corpus  # noqa: E402  (bench/corpus.py, after the sys.path setup)
import live  # noqa: E402  (bench/live.py)
import nlu  # noqa: E402  (bench/nlu.py)
import search_engines  # noqa: E402  (bench/search_engines.py)

ARTICLE_TARGET_RPS = 500
THREADS = 32  # as in the Procfile (live chat streams hold a thread each)
WORKER_CLASS = "gthread"  # as in the Procfile; --worker-class sync for the plain sync workers
WARMUP_QUERY = "reset my password"  # untimed: opens the index and searcher
# Queries for the /api/search throughput run: realistic, and each finds articles in
# the real KB, so the run measures searching rather than zero-result bookkeeping.
API_QUERIES = [
    "track my order",
    "reset password",
    "refund for a return",
    "charged twice",
    "cancel subscription",
    "change delivery address",
    "protection plan claim",
    "update payment method",
]
# Variables that would point the temporary instance at real data.
ENV_DROP = ("DATABASE_URL", "SEARCH_INDEX_DIR", "KB_ARTICLES_DIR", "REDIS_URL", "CALMLINE_ENV")


# ---------------------------------------------------------------------- helpers
def percentile(sorted_values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    k = (len(sorted_values) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def latency_stats(ms: list[float]) -> dict:
    s = sorted(ms)
    return {
        "count": len(s),
        "p50_ms": round(percentile(s, 50), 3),
        "p95_ms": round(percentile(s, 95), 3),
        "p99_ms": round(percentile(s, 99), 3),
        "mean_ms": round(statistics.fmean(s), 3) if s else None,
        "max_ms": round(s[-1], 3) if s else None,
        "total_s": round(sum(s) / 1000, 3),
    }


def dir_size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 2)


def loadavg() -> list[float] | None:
    """1/5/15-minute load averages: other work on the machine skews every number here."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


class CpuMeter:
    """How much CPU other processes used while a section ran (from /proc/stat minus our own).

    Our own = this process plus its waited-for children (wrk, gunicorn and its workers,
    the CLI commands). A high ``other_processes_cpu_share`` means the numbers were
    measured on a shared, busy machine.
    """

    def __init__(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float | None:
        try:
            with open("/proc/stat") as fh:
                f = [int(x) for x in fh.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        busy = f[0] + f[1] + f[2] + sum(f[5:8])  # user nice system irq softirq steal
        return busy / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def result(self) -> dict:
        wall = time.perf_counter() - self.t0
        busy1 = self._busy()
        own = self._own() - self.own0
        capacity = wall * (os.cpu_count() or 1)
        out = {"wall_s": round(wall, 1), "bench_cpu_share": round(own / capacity, 3)}
        if busy1 is not None and self.busy0 is not None:
            out["other_processes_cpu_share"] = round(max(0.0, (busy1 - self.busy0 - own) / capacity), 3)
        return out


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine_info() -> dict:
    info = {
        "cpu_count": os.cpu_count(),
        "cpu_count_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            info["mem_total_mb"] = round(int(fh.readline().split()[1]) / 1024)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for key, dists in {"whoosh": ("Whoosh-Reloaded", "Whoosh"), "flask": ("Flask",), "gunicorn": ("gunicorn",),
                       "sqlalchemy": ("SQLAlchemy",)}.items():
        versions[key] = None
        for dist in dists:
            try:
                versions[key] = f"{dist} {version(dist)}"
                break
            except PackageNotFoundError:
                pass
    wrk = shutil.which("wrk")
    if wrk:
        proc = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        versions["wrk"] = (proc.stdout + proc.stderr).split("Copyright")[0].strip() or None
    info["versions"] = versions
    return info


# ---------------------------------------------------------------------- 1. search latency
def to_document(i: int, art: dict):
    from portal.search.backend import SearchDocument

    slug = art["slug"]
    return SearchDocument(
        doc_id=f"article:{i}", type="article", slug=slug, title=art["title"], url="/kb/" + slug,
        category=art["category"], tags=tuple(art["tags"]), summary=art["summary"], body=art["body"],
    )


def time_queries(backend, queries: list[str]) -> tuple[list[float], list]:
    times, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        r = backend.query(q, page=1, per_page=10)
        times.append((time.perf_counter() - t0) * 1000)
        results.append(r)
    return times, results


def embedding_cost(queries: list[str], index_dir: Path) -> dict:
    """Milliseconds to embed one query, and one document's texts (title with summary, first passage)."""
    from bot.embedding import default_encoder
    from portal.search.semantic import document_texts

    encoder = default_encoder()
    t0 = time.perf_counter()
    for q in queries:
        encoder.embed([q])
    per_query = (time.perf_counter() - t0) * 1000 / max(1, len(queries))
    docs = [to_document(i, a) for i, a in enumerate(corpus.generate_articles(32))]
    t0 = time.perf_counter()
    encoder.embed([t for d in docs for t in document_texts(d.title, d.summary, d.body)])
    per_doc = (time.perf_counter() - t0) * 1000 / len(docs)
    return {"query_ms": round(per_query, 1), "document_ms_batched": round(per_doc, 1)}


def bench_search(size: int, queries: list[str], workdir: Path) -> dict:
    from portal.search.whoosh_backend import WhooshBackend

    index_dir = workdir / f"index-{size}"
    load_before = loadavg()
    log(f"search {size}: generating corpus")
    t0 = time.perf_counter()
    docs = [to_document(i, a) for i, a in enumerate(corpus.generate_articles(size))]
    gen_s = time.perf_counter() - t0
    words = sum(len(d.body.split()) for d in docs)

    search_engines.forget_vectors()
    with search_engines.vectors_for(size) as vectors:
        log(f"search {size}: building index ({vectors} vectors)")
        t0 = time.perf_counter()
        count = WhooshBackend(index_dir).rebuild(iter(docs))
        build_s = time.perf_counter() - t0
    del docs

    # A fresh backend, as a newly started worker would have: opens the index on first query.
    backend = WhooshBackend(index_dir)
    try:
        t0 = time.perf_counter()
        backend.query(WARMUP_QUERY, page=1, per_page=10)
        warmup_ms = (time.perf_counter() - t0) * 1000
        log(f"search {size}: timing {len(queries)} queries (first pass)")
        first, results = time_queries(backend, queries)
        log(f"search {size}: timing {len(queries)} queries (warm pass)")
        warm, _ = time_queries(backend, queries)
    finally:
        backend.close()

    embedding = embedding_cost(queries[:50], index_dir)
    zero = sum(1 for r in results if r.total == 0)
    corrected = sum(1 for r in results if r.corrected)
    suggested = sum(1 for r in results if r.suggestion)
    slowest = sorted(zip(first, queries, results, strict=True), key=lambda x: -x[0])[:5]
    out = {
        "engine": "whoosh",
        "vectors": vectors,
        "articles": count,
        "corpus_words_total": words,
        "corpus_generation_s": round(gen_s, 2),
        "index_build_s": round(build_s, 2),
        "index_build_docs_per_s": round(count / build_s, 1),
        "index_size_mb": dir_size_mb(index_dir),
        "queries": len(queries),
        "warmup_query_ms": round(warmup_ms, 2),
        "latency_first_pass": latency_stats(first),
        "latency_warm_pass": latency_stats(warm),
        "embedding": embedding,
        "zero_result_queries": zero,
        "zero_result_share": round(zero / len(queries), 4),
        "spelling_suggested_queries": suggested,
        "spelling_corrected_queries": corrected,
        "mean_total_hits": round(statistics.fmean(r.total for r in results), 1),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "slowest_first_pass": [
            {"query": q, "ms": round(ms, 2), "total_hits": r.total, "corrected": r.corrected}
            for ms, q, r in slowest
        ],
    }
    shutil.rmtree(index_dir, ignore_errors=True)
    return out


# ---------------------------------------------------------------------- 2. throughput
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance_env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update(CALMLINE_INSTANCE_DIR=str(instance), FLASK_APP="wsgi", SECRET_KEY="bench",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def run_cli(args: list[str], env: dict, logfile: Path) -> str:
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    with open(logfile, "a") as fh:
        fh.write(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout.strip()


class Gunicorn:
    """gunicorn in its own process group; stop() is safe to call any number of times."""

    def __init__(self, env: dict, port: int, workers: int, logfile: Path, worker_class: str = WORKER_CLASS,
                 threads: int = THREADS):
        self.env, self.port, self.workers, self.logfile = env, port, workers, logfile
        self.worker_class, self.threads = worker_class, threads
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60.0) -> float:
        self._log = open(self.logfile, "ab")  # noqa: SIM115  (closed in stop())
        # By default the same server settings as the Procfile: gthread workers keep connections alive.
        cmd = [str(VENV_BIN / "gunicorn"), "-w", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            cmd += ["--threads", str(self.threads)]
        cmd += ["-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"]
        self.command = " ".join(["gunicorn", *cmd[1:]])
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {timeout}s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.logfile.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        if proc is not None:
            try:  # anything left in the group gunicorn's master led (its workers)
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


WRK_LUA = r"""
local paths = {%(paths)s}
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  idx = (id - 1) * 7
  non2xx = 0
end

function request()
  idx = idx %% #paths + 1
  return wrk.format("GET", paths[idx])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"non_2xx":%%d,' ..
    '"err_connect":%%d,"err_read":%%d,"err_write":%%d,"err_timeout":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p95_us":%%d,"p99_us":%%d,"mean_us":%%f,"max_us":%%d}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(base: str, paths: list[str], seconds: float, threads: int, conns: int, workdir: Path,
             name: str) -> dict:
    script = workdir / f"{name}.lua"
    script.write_text(WRK_LUA % {"paths": ", ".join(lua_string(p) for p in paths)})
    cmd = [shutil.which("wrk"), f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(script), base + paths[0]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    m = re.search(r"^BENCH_JSON (\{.*\})$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    raw = json.loads(m.group(1))
    dur = raw["duration_us"] / 1e6
    return {
        "generator": "wrk",
        "generator_options": f"-t{threads} -c{conns} -d{max(1, round(seconds))}s, URLs cycled by a Lua script",
        "command": " ".join(["wrk", *cmd[1:-3], "<tmp>/" + script.name, cmd[-1]]),
        "duration_s": round(dur, 2),
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / dur, 1),
        "transfer_mb_per_s": round(raw["bytes"] / dur / 1e6, 2),
        "latency_p50_ms": round(raw["p50_us"] / 1000, 2),
        "latency_p90_ms": round(raw["p90_us"] / 1000, 2),
        "latency_p95_ms": round(raw["p95_us"] / 1000, 2),
        "latency_p99_ms": round(raw["p99_us"] / 1000, 2),
        "latency_mean_ms": round(raw["mean_us"] / 1000, 2),
        "latency_max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": {k[4:]: raw[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")},
    }


def _py_worker(args) -> tuple[int, int, int, list[float], float]:
    host, port, paths, offset, seconds = args
    ok = bad = errors = 0
    lat: list[float] = []
    i = offset
    start = time.perf_counter()
    deadline = start + seconds
    conn = None
    while time.perf_counter() < deadline:
        path = paths[i % len(paths)]
        i += 1
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.will_close:  # gunicorn's sync workers close after every response
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
            continue
        lat.append((time.perf_counter() - t0) * 1000)
        if 200 <= status < 300:
            ok += 1
        else:
            bad += 1
    if conn is not None:
        conn.close()
    return ok, bad, errors, lat, time.perf_counter() - start


def load_python(port: int, paths: list[str], seconds: float, procs: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(procs) as pool:
        parts = pool.map(_py_worker, [("127.0.0.1", port, paths, k * 7, seconds) for k in range(procs)])
    ok = sum(p[0] for p in parts)
    bad = sum(p[1] for p in parts)
    errors = sum(p[2] for p in parts)
    lat = sorted(x for p in parts for x in p[3])
    dur = max(p[4] for p in parts)
    return {
        "generator": f"python (multiprocessing, {procs} processes, http.client)",
        "duration_s": round(dur, 2),
        "requests": ok + bad,
        "requests_per_s": round((ok + bad) / dur, 1),
        "latency_p50_ms": round(percentile(lat, 50), 2),
        "latency_p90_ms": round(percentile(lat, 90), 2),
        "latency_p95_ms": round(percentile(lat, 95), 2),
        "latency_p99_ms": round(percentile(lat, 99), 2),
        "latency_mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        "latency_max_ms": round(lat[-1], 2) if lat else None,
        "non_2xx": bad,
        "socket_errors": {"total": errors},
        "note": "the generator shares the CPUs with the server and is slower than wrk; numbers are a lower bound",
    }


def check_paths(base: str, paths: list[str]) -> dict:
    """One GET per path before the load: status counts, so a 404 is not mistaken for speed."""
    statuses: dict[str, int] = {}
    bad = []
    for p in paths:
        try:
            with urllib.request.urlopen(base + p, timeout=10) as r:
                code = r.status
                body = r.read()
        except urllib.error.HTTPError as exc:
            code, body = exc.code, b""
        statuses[str(code)] = statuses.get(str(code), 0) + 1
        if code != 200:
            bad.append({"path": p, "status": code})
    return {"checked": len(paths), "status_counts": statuses, "not_ok": bad[:10], "last_body_bytes": len(body)}


def app_timing_child(spec_json: str) -> None:
    """Runs in a subprocess with the instance env: per-request cost without HTTP or gunicorn."""
    spec = json.loads(spec_json)
    from portal import create_app

    client = create_app().test_client()
    out = {}
    for name, paths in spec["runs"]:
        for p in paths:  # warm: templates compiled, searcher open
            client.get(p)
        wall, cpu, bad = [], [], 0
        for i in range(spec["requests"]):
            p = paths[i % len(paths)]
            w0, c0 = time.perf_counter(), time.process_time()
            r = client.get(p)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            bad += not 200 <= r.status_code < 300
        cpu_mean = statistics.fmean(cpu)
        out[name] = {
            "requests": len(wall),
            "wall_p50_ms": round(percentile(sorted(wall), 50), 3),
            "wall_mean_ms": round(statistics.fmean(wall), 3),
            "cpu_mean_ms": round(cpu_mean, 3),
            "ceiling_requests_per_s_all_cpus": round(spec["cpus"] * 1000 / cpu_mean, 1),
            "non_2xx": bad,
        }
    print("BENCH_JSON " + json.dumps(out))


def app_timing(env: dict, runs: list, requests: int) -> dict:
    spec = json.dumps({"runs": runs, "requests": requests, "cpus": os.cpu_count()})
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--app-timing", spec], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    m = re.search(r"^BENCH_JSON (\{.*\})$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"in-process timing failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(m.group(1))


PERF_CONFIG_KEYS = ("KB_PAGE_CACHE_SECONDS", "SEARCH_MAX_QUERY_LENGTH", "RATELIMIT_STORAGE_URI")


def effective_config(instance: Path, env: dict) -> dict:
    """Settings that change what the throughput runs measure (e.g. a per-process page cache)."""
    try:
        from portal.config import load_config

        cfg = load_config(instance, env)
    except Exception as exc:  # noqa: BLE001  (informational only)
        return {"error": f"{exc.__class__.__name__}: {exc}"}
    out = {k: cfg[k] for k in PERF_CONFIG_KEYS if k in cfg}
    out["database"] = str(cfg.get("SQLALCHEMY_DATABASE_URI", "")).split(":", 1)[0]
    return out


def bench_pages(workdir: Path, seconds: float, generator: str, worker_class: str = WORKER_CLASS) -> dict:
    instance = workdir / "instance"
    env = instance_env(instance)
    logfile = workdir / "setup.log"
    out: dict = {"workers": 4, "worker_class": worker_class, "threads": THREADS if worker_class == "gthread" else 1,
                 "target_article_requests_per_s": ARTICLE_TARGET_RPS}

    out["app_config"] = effective_config(instance, env)
    log("pages: flask db upgrade")
    run_cli([str(VENV_BIN / "flask"), "db", "upgrade"], env, logfile)
    log("pages: flask kb sync")
    out["kb_sync_output"] = run_cli([str(VENV_BIN / "flask"), "kb", "sync"], env, logfile).splitlines()[-1:]

    slugs = sorted(p.stem for p in (ROOT / "kb_articles").glob("*.md") if p.name.lower() != "readme.md")
    article_paths = [f"/kb/{s}" for s in slugs]
    from urllib.parse import urlencode

    api_paths = ["/api/search?" + urlencode({"q": q}) for q in API_QUERIES]
    runs = [("articles", article_paths), ("api_search", api_paths), ("healthz", ["/healthz"])]

    use_wrk = generator == "wrk" or (generator == "auto" and shutil.which("wrk"))
    if generator == "wrk" and not shutil.which("wrk"):
        raise RuntimeError("--generator wrk but wrk is not on PATH")
    warm_s = 1 if seconds <= 5 else 3

    log("pages: in-process cost per request (Flask test client, one process)")
    try:
        out["app_in_process"] = app_timing(env, runs, 100 if seconds <= 5 else 300)
    except Exception as exc:  # noqa: BLE001  (a diagnostic: the load runs still count)
        out["app_in_process"] = {"error": f"{exc.__class__.__name__}: {exc}"}

    port = free_port()
    server = Gunicorn(env, port, 4, workdir / "gunicorn.log", worker_class=worker_class)
    base = f"http://127.0.0.1:{port}"
    try:
        log(f"pages: starting gunicorn on port {port}")
        out["server_startup_s"] = round(server.start(), 2)
        out["server_command"] = server.command
        out["article_urls"] = len(article_paths)
        out["api_search_queries"] = API_QUERIES
        # What the API queries find on the real KB (zero-hit searches would also write to the DB).
        totals = {}
        for q, p in zip(API_QUERIES, api_paths, strict=True):
            with urllib.request.urlopen(base + p, timeout=10) as r:
                totals[q] = json.loads(r.read())["total"]
        out["api_search_query_hits"] = totals
        for name, paths in runs:
            out[name] = {"urls": len(paths), "precheck": check_paths(base, paths)}
            out[name]["loadavg_before"] = loadavg()
            log(f"pages: {name}: {warm_s}s warm-up, then {seconds:g}s measured")
            if use_wrk:
                load_wrk(base, paths, warm_s, 2, 16, workdir, name)
                res = load_wrk(base, paths, seconds, 2, 16, workdir, name)
            else:
                load_python(port, paths, warm_s, 8)
                res = load_python(port, paths, seconds, 8)
            out[name].update(res)
            if server.proc is None or server.proc.poll() is not None:
                raise RuntimeError(f"gunicorn died during the {name} run:\n{server.tail()}")
        out["articles"]["meets_target"] = out["articles"]["requests_per_s"] >= ARTICLE_TARGET_RPS
        out["server_log_tail"] = [line for line in server.tail(2000).splitlines() if line.strip()][-10:]
    finally:
        server.stop()
    return out


# ---------------------------------------------------------------------- forum
_forum_module = None


def forum_bench():
    """bench/forum.py, loaded as ``bench_forum``: ``import forum`` is the portal's package."""
    global _forum_module
    if _forum_module is None:
        spec = importlib.util.spec_from_file_location("bench_forum", BENCH / "forum.py")
        _forum_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_forum_module)
    return _forum_module


# ---------------------------------------------------------------------- 3. quality
def bench_quality() -> dict:
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
        result = evaluate()
        if not isinstance(result, dict):
            result = {"value": result}
        result = json.loads(json.dumps(result, default=str))
        result.setdefault("evaluate_s", round(time.perf_counter() - t0, 2))
        return result
    except Exception as exc:  # noqa: BLE001  (another helper's code: record, don't crash the run)
        return {"error": f"{exc.__class__.__name__}: {exc}", "traceback": traceback.format_exc()[-3000:],
                "evaluate_s": round(time.perf_counter() - t0, 2)}


# ---------------------------------------------------------------------- summary
def summary(results: dict) -> str:
    lines = []
    m = results["machine"]
    lines.append(f"Calmline bench  {results['timestamp']}  ({m['cpu_count']} CPUs, Python {m['python_version']}, "
                 f"{results['duration_s']:.0f}s)")
    search = results.get("search", {})
    if search:
        lines.append("")
        lines.append("Search (backend.query, 200 realistic queries, page 1 of 10; words and meaning)")
        lines.append(f"  {'engine':<10} {'articles':>8} {'build docs/s':>12} {'size MB':>8} {'p50 ms':>7} {'p95 ms':>7} "
                     f"{'p99 ms':>7} | {'warm p50':>8} {'warm p95':>8} {'zero-hit':>8}  vectors")
        for size, r in search.items():
            if "error" in r:
                lines.append(f"  {size:>8} ERROR {r['error']}")
                continue
            f, w = r["latency_first_pass"], r["latency_warm_pass"]
            mb = r.get("index_size_mb", r.get("tables_mb", 0.0))
            lines.append(f"  {r.get('engine', 'whoosh'):<10} {r['articles']:>8} {r['index_build_docs_per_s']:>12.1f} "
                         f"{mb:>8.1f} {f['p50_ms']:>7.1f} {f['p95_ms']:>7.1f} {f['p99_ms']:>7.1f} | "
                         f"{w['p50_ms']:>8.1f} {w['p95_ms']:>8.1f} {r['zero_result_share']:>8.1%}  {r.get('vectors', '')}")
        rel = results.get("search_relevance")
        if rel:
            parts = [f"{k} {v['mrr_at_10']:.3f}" for k, v in rel.items() if isinstance(v, dict) and "mrr_at_10" in v]
            lines.append(f"  MRR@10 on bench/data/search_dev.yml ({rel.get('queries')} queries): " + ", ".join(parts))
    pages = results.get("pages")
    if pages:
        lines.append("")
        if "error" in pages:
            lines.append(f"Throughput: ERROR {pages['error']}")
        else:
            a = pages["articles"]
            gen = " ".join(x for x in (a.get("generator"), a.get("generator_options")) if x)
            kind = pages.get("worker_class", "?")
            if kind == "gthread":
                kind += f" x{pages.get('threads')}"
            lines.append(f"Throughput (gunicorn -w {pages.get('workers')} {kind}; {gen})")
            cache = pages.get("app_config", {}).get("KB_PAGE_CACHE_SECONDS")
            if cache is not None:
                lines.append(f"  (KB_PAGE_CACHE_SECONDS={cache:g}: article pages come from each worker's page cache "
                             "after the warm-up)" if cache else "  (article page cache off)")
            for name in ("articles", "api_search", "healthz"):
                r = pages.get(name, {})
                if "requests_per_s" not in r:
                    continue
                errs = sum(r.get("socket_errors", {}).values())
                lines.append(f"  {name:<11} {r['requests_per_s']:>8.1f} req/s   p50 {r['latency_p50_ms']:>6.1f} ms   "
                             f"p95 {r['latency_p95_ms']:>6.1f} ms   non-2xx {r['non_2xx']}   socket errors {errs}")
            a = pages["articles"]
            lines.append(f"  article target >= {ARTICLE_TARGET_RPS} req/s: "
                         f"{'MET' if a.get('meets_target') else 'NOT MET'}")
            inproc = pages.get("app_in_process", {})
            if inproc and "error" not in inproc:
                lines.append("  in-process CPU per request (no HTTP): " + ", ".join(
                    f"{k} {v['cpu_mean_ms']:.1f} ms (ceiling ~{v['ceiling_requests_per_s_all_cpus']:.0f}/s)"
                    for k, v in inproc.items()))
    q = results.get("search_quality")
    if q is not None:
        lines.append("")
        if "error" in q:
            lines.append(f"Search quality: ERROR {q['error']}")
        elif "skipped" in q:
            lines.append(f"Search quality: skipped ({q['skipped']})")
        else:
            lines.append(f"Search quality ({q.get('dataset', 'bench/search_quality.py')})")
            top = {k: v for k, v in q.items() if _number(v)}
            if top:
                lines.append("  " + ", ".join(f"{k}={v:g}" for k, v in top.items()))
            for k, v in q.items():
                if isinstance(v, dict) and any(_number(x) for x in v.values()):
                    lines.append(f"  {k:<14} " + ", ".join(f"{kk}={vv:g}" for kk, vv in v.items() if _number(vv)))
    d = results.get("detector")
    if d:
        lines.append("")
        lines.append(f"Frustration detector: ERROR {d['error']}" if "error" in d else
                     f"Frustration detector: {d['messages_per_second']:,} messages/s on one core "
                     f"(target >= {d['target_per_second']:,}: {'MET' if d['meets_target'] else 'NOT MET'})")
        if "quality" in d:
            from bot.frustration.evaluate import format_table
            lines.extend("  " + line for line in format_table(d["quality"]).splitlines())
    understanding = nlu.summary_lines(results)
    if understanding:
        lines.append("")
        lines.extend(understanding)
    c = results.get("chat")
    if c:
        lines.append("")
        if "error" in c:
            lines.append(f"Chat turns: ERROR {c['error'][:500]}")
        else:
            lat = c["latency"]
            lines.append(f"Chat turn through portal + Rasa + action server ({c['turns']} turns, "
                         f"{c['conversations']} conversations, gunicorn -w 4)")
            lines.append(f"  p50 {lat['p50_ms']:.0f} ms   p95 {lat['p95_ms']:.0f} ms   p99 {lat['p99_ms']:.0f} ms   "
                         f"(target p95 <= {c['target_p95_ms']} ms: {'MET' if c['meets_target'] else 'NOT MET'})")
            lines.append("  by message (p50 ms): " + ", ".join(f"{t[:24]!r} {v:.0f}"
                                                              for t, v in c["by_message_p50_ms"].items()))
            mi, ma = c["memory_idle"], c["memory_after"]
            lines.append(f"  memory: Rasa {mi['rasa_mb']:.0f} MB idle, {ma['rasa_mb']:.0f} MB after; "
                         f"action server {mi['action_server_mb']:.0f} MB idle, {ma['action_server_mb']:.0f} MB after")
    lv = results.get("live")
    if lv:
        lines.append("")
        if "error" in lv:
            lines.append(f"Live chat delivery: ERROR {lv['error'][:500]}")
        else:
            m = lv["main"]
            lines.append(f"Live chat delivery ({m['chats']} chats, {m['streams']} SSE streams, {m['gunicorn']}, "
                         f"{m['database']}, {m['delivery']})")
            for key, label in (("latency_customer_to_agent", "customer_to_agent"),
                               ("latency_agent_to_customer", "agent_to_customer"), ("latency_all", "all"),
                               ("post_customer", "customer POST"), ("post_agent", "agent POST"),
                               ("burst_customer_to_agent", "burst, all at once")):
                if m.get(key):
                    lines.append(f"  {label:<18} p50 {m[key]['p50_ms']:.0f} ms   p95 {m[key]['p95_ms']:.0f} ms")
            lines.append(f"  acknowledged {m['messages_acknowledged']}, lost {m['messages_lost']}, send errors "
                         f"{m['send_errors']}, streams refused (polling) {m.get('streams_polling', 0)}; target p95 <= {lv['target_p95_ms']} ms: "
                         f"{'MET' if lv['meets_target'] else 'NOT MET'}")
            for r in lv["ramp"]:
                lines.append(f"  ramp {r['chats']} chats: lost {r['messages_lost']}, errors {r['send_errors']}, "
                             f"polling {r.get('streams_polling', 0)}, "
                             f"p95 {r['p95_ms']} ms")
            lines.append(f"  most concurrent live chats with no message lost: {lv['most_concurrent_chats_with_no_loss']}")
    if results.get("forum"):
        lines.append("")
        lines += forum_bench().summary_lines(results["forum"])
    busy = {k: v["other_processes_cpu_share"] for k, v in results.get("cpu_usage", {}).items()
            if "other_processes_cpu_share" in v}
    if busy:
        lines.append("")
        lines.append("CPU used by other processes during each section (share of all CPUs): "
                     + ", ".join(f"{k} {v:.0%}" for k, v in busy.items()))
        if max(busy.values()) > 0.15:
            lines.append("  Note: the machine was shared; expect higher latency and lower throughput than on "
                         "an idle machine.")
    if results.get("errors"):
        lines.append("")
        lines.append("Errors: " + "; ".join(results["errors"]))
    return "\n".join(lines)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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
                    help="comma-separated sections to skip: search,pages,quality,detector,understanding,nlu_cv,chat,live,forum")
    ap.add_argument("--chat-conversations", type=int, help="conversations of 8 turns for the chat run (default 25)")
    ap.add_argument("--synthetic-vectors", action="store_true",
                    help="search: fixed pseudo-random document vectors at every size (latency only, no embedding)")
    ap.add_argument("--search-database-url", default=os.environ.get("BENCH_SEARCH_DATABASE_URL"),
                    help="PostgreSQL for the search section's PostgreSQL engine, beside Whoosh "
                         "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    ap.add_argument("--live-database-url", default=os.environ.get("BENCH_LIVE_DATABASE_URL"),
                    help="PostgreSQL for the live section, e.g. postgresql://postgres@127.0.0.1:5432/bench "
                         "(default: BENCH_LIVE_DATABASE_URL, else a SQLite file); its tables are reused")
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
            results["search_quality"] = bench_quality()
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
        if "forum" not in args.skip:
            meter = CpuMeter()
            try:
                results["forum"] = forum_bench().bench_forum(sys.modules[__name__], workdir, quick=args.quick,
                                                             seconds=args.load_seconds, generator=args.generator,
                                                             log=log)
                results["cpu_usage"]["forum"] = meter.result()
            except Exception as exc:  # noqa: BLE001
                results["forum"] = {"error": f"{exc.__class__.__name__}: {str(exc)[:2000]}",
                                    "traceback": traceback.format_exc()[-3000:]}
                results["errors"].append(f"forum: {exc.__class__.__name__}: {str(exc)[:300]}")
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
