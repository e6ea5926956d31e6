"""Rasa server memory and parse latency for a model: what a featurizer costs at run time.

Starts `rasa run --enable-api` on a free port with the model, waits until it is ready,
sends a few warm-up parses, reads the server's resident memory (VmRSS, and VmHWM, the
peak), then times `/model/parse` over the in-domain evaluation messages.

    PYTHONPATH=.. .venv/bin/python scripts/measure_server.py --model results/models/x.tar.gz
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

BOT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the messages")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts = [i["text"] for i in yaml.safe_load(
        (BOT_DIR / "tests" / "data" / "in_domain_eval.yml").read_text(encoding="utf-8"))["items"]]

    port = free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
           "PYTHONPATH": str(BOT_DIR.parent)}
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--enable-api", "--model", str(args.model),
         "--port", str(port), "--interface", "127.0.0.1"],
        cwd=BOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit("rasa run exited before it was ready")
            try:
                if requests.get(f"{url}/status", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        ready_s = time.monotonic() - started
        for text in texts[:5]:
            requests.post(f"{url}/model/parse", json={"text": text}, timeout=30).raise_for_status()
        memory = memory_mb(server.pid)
        timings = []
        for _ in range(args.repeat):
            for text in texts:
                t0 = time.perf_counter()
                requests.post(f"{url}/model/parse", json={"text": text}, timeout=30).raise_for_status()
                timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        result = {
            "model": str(args.model), "ready_s": round(ready_s, 1), **memory,
            "memory_after_all_parses": memory_mb(server.pid),
            "parses": len(timings), "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
