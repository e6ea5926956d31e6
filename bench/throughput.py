"""Benchmark section 2: article and API throughput under gunicorn, with wrk or a Python load
generator, and in-process app timing."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import (
    API_QUERIES,
    ARTICLE_TARGET_RPS,
    ENV_DROP,
    ROOT,
    THREADS,
    VENV_BIN,
    WORKER_CLASS,
    loadavg,
    log,
    percentile,
)


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

