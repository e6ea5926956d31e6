"""What every benchmark section shares: paths, the log, latency statistics, CPU and
machine facts."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results.json"
VENV_BIN = ROOT / ".venv" / "bin"
ARTICLE_TARGET_RPS = 500
THREADS = 32  # as in the Procfile under gthread (live chat streams hold a thread each)
WORKER_CLASS = "gthread"  # the Procfile's worker on SQLite (gevent on PostgreSQL); sync for the plain sync workers
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


_forum_module = None


def forum_bench():
    """bench/forum.py, loaded as ``bench_forum``: ``import forum`` is the portal's package."""
    global _forum_module
    if _forum_module is None:
        spec = importlib.util.spec_from_file_location("bench_forum", BENCH / "forum.py")
        _forum_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_forum_module)
    return _forum_module
