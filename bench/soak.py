"""`make soak`: the two-box layout under load, with faults, and every acknowledged message counted.

Starts the processes of Procfile.cluster (two portal boxes, the Rasa servers and action servers)
on one PostgreSQL and one Redis, on loopback only, in a database of its own (calmline_soak).
For SOAK_SECONDS (600), customers chat with the bot (SOAK_BOT_CUSTOMERS, 200), live chats run
with an agent (SOAK_LIVE_CHATS, 50) and searches run, while faults are injected in turn: a
portal box killed and restarted, a Rasa server killed and restarted, PostgreSQL restarted,
Redis restarted. At the end every acknowledged message is looked up in the database: each must
be there exactly once. Writes bench/soak-results.json and prints the report.

    .venv/bin/python bench/soak.py              # (make soak)
    SOAK_SECONDS=120 .venv/bin/python bench/soak.py

It restarts the machine's PostgreSQL and Redis: run it on a development box, not beside
anything that needs them. The limits per address are lifted for the run (every simulated
customer comes from 127.0.0.1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from common import latency_stats  # noqa: E402
from soak_load import Agent, Balancer, Stats, bot_customer, live_chat, searcher  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS") or 600)
BOT_CUSTOMERS = int(os.environ.get("SOAK_BOT_CUSTOMERS") or 200)
LIVE_CHATS = int(os.environ.get("SOAK_LIVE_CHATS") or 50)
SEARCHERS = int(os.environ.get("SOAK_SEARCHERS") or 4)
FAULTS = os.environ.get("SOAK_FAULTS", "1") != "0"  # 0: load only (a quick look at the harness)
THINK = (10.0, 20.0)  # seconds between a bot customer's messages
LIVE_EVERY = 6.0  # seconds between turns in a live chat
DATABASE_URL = os.environ.get("SOAK_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/calmline_soak"
CLUSTER_DIR = ROOT / "bench" / ".work" / "soak"
RESULTS = ROOT / "bench" / "soak-results.json"
PG_RESTART = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart"
REDIS_STOP = "redis-cli -p 6379 shutdown nosave"
REDIS_START = ("redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no "
               "--dir /var/lib/redis --logfile /var/log/redis/ci.log")
LIFTED = {"CHAT_RATE_LIMIT": "100000 per minute", "LOGIN_RATE_LIMIT": "100000 per minute",
          "LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute", "BUSINESS_HOURS": "always", "CALMLINE_ENV": "development"}


def log(*parts) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}]", *parts, flush=True)


class Layout:
    """The processes of Procfile.cluster, each in its own process group, killable one by one."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.commands = {}
        for line in (ROOT / "Procfile.cluster").read_text().splitlines():
            if ":" in line and not line.lstrip().startswith("#"):
                name, command = line.split(":", 1)
                self.commands[name.strip()] = command.strip()
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, object] = {}
        (CLUSTER_DIR / "logs").mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> None:
        if name in self.logs:
            self.logs[name].close()
        self.logs[name] = out = open(CLUSTER_DIR / "logs" / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(["bash", "-c", self.commands[name]], cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for out in self.logs.values():
            out.close()

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each process group (the master and its workers together)."""
        groups: dict[int, float] = {}
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
                groups[int(fields[2])] = groups.get(int(fields[2]), 0) + int(fields[21]) * 4096 / 2**20
            except (OSError, IndexError, ValueError):
                continue
        return {name: round(groups.get(proc.pid, 0), 1) for name, proc in self.procs.items()}


def wait_ready(urls: list[str], timeout: float = 300) -> None:
    """Each box ready, and every Rasa server answering (it serves once its model is loaded)."""
    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            try:
                r = requests.get(url, timeout=5)
                servers = r.json().get("rasa", {}).get("servers", [])
                if r.status_code == 200 and servers and all(s["ok"] for s in servers):
                    break
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            time.sleep(1)


def prepare() -> dict[str, str]:
    env = {**os.environ, "CALMLINE_CLUSTER_DIR": str(CLUSTER_DIR), "DATABASE_URL": DATABASE_URL,
           "REDIS_URL": os.environ.get("SOAK_REDIS_URL") or "redis://127.0.0.1:6379/5",
           "PORT_A": os.environ.get("PORT_A") or "8101", "PORT_B": os.environ.get("PORT_B") or "8102"}
    import psycopg
    from psycopg import sql

    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE_URL.rsplit("/", 1)[1])))
    subprocess.run([str(ROOT / ".venv/bin/python"), "scripts/prepare-cluster"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    values = {}
    for line in (CLUSTER_DIR / "run.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return {**env, **values, **LIFTED}


def faults(layout: Layout, stop: threading.Event, started: float, record: list) -> None:
    """Each fault at its share of the run; a killed process comes back a tenth of the run later."""
    rasa = sorted(n for n in layout.commands if n.startswith("rasa"))
    plan = [(0.15, "kill portal box B", lambda: layout.kill("web_b")),
            (0.25, "restart portal box B", lambda: layout.start("web_b")),
            (0.35, f"kill Rasa server {rasa[0]}", lambda: layout.kill(rasa[0])),
            (0.45, f"restart Rasa server {rasa[0]}", lambda: layout.start(rasa[0])),
            (0.60, "restart PostgreSQL", lambda: subprocess.run(PG_RESTART, shell=True, check=True)),
            (0.75, "restart Redis", lambda: (subprocess.run(REDIS_STOP, shell=True),
                                             subprocess.run(REDIS_START, shell=True, check=True)))]
    for share, what, action in plan:
        if stop.wait(max(0.0, started + share * SECONDS - time.monotonic())):
            return
        log(what)
        entry = {"at_s": round(time.monotonic() - started, 1), "fault": what}
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a fault that could not be made is reported, and fails the soak
            entry["failed"] = f"{type(exc).__name__}: {exc}"
            log("could not:", entry["failed"])
        record.append(entry)


def account(stats: Stats) -> dict:
    """Every acknowledged message, looked up in the database: present once, or lost, or doubled."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute(
            "SELECT c.public_id, m.client_id, m.sender, count(*) FROM chat_messages m "
            "JOIN chat_conversations c ON c.id = m.conversation_id WHERE m.client_id IS NOT NULL "
            "GROUP BY c.public_id, m.client_id, m.sender").fetchall()
        tickets = dict(conn.execute("SELECT t.number, c.public_id FROM tickets t "
                                    "JOIN chat_conversations c ON c.id = t.conversation_id").fetchall())
    stored = {(conv, client, sender): count for conv, client, sender, count in rows}
    customer = [stored.get((conv, client, "customer"), 0) for conv, client in stats.acked_customer]
    agent = [stored.get((tickets.get(number), client, "agent"), 0) for number, client, _ in stats.acked_agent]
    return {
        "customer_acknowledged": len(customer), "customer_lost": customer.count(0),
        "customer_duplicated": sum(1 for c in customer if c > 1),
        "agent_acknowledged": len(agent), "agent_lost": agent.count(0), "agent_duplicated": sum(1 for c in agent if c > 1),
        "any_client_id_stored_twice": sum(1 for c in stored.values() if c > 1),
        "agent_messages_seen_by_customer": len(stats.delivered),
        "agent_message_delivery_ms": latency_stats(list(stats.delivered.values())),
    }


def main() -> int:
    log(f"{SECONDS:.0f} s, {BOT_CUSTOMERS} bot customers, {LIVE_CHATS} live chats, {SEARCHERS} searchers")
    env = prepare()
    layout = Layout(env)
    urls = [f"http://127.0.0.1:{env['PORT_A']}", f"http://127.0.0.1:{env['PORT_B']}"]
    memory, fault_log = [], []
    try:
        for name in layout.commands:
            layout.start(name)
        wait_ready([u + "/readyz" for u in urls])
        stats, stop = Stats(), threading.Event()
        balancer = Balancer(urls, stats)
        agent = Agent(balancer, stats, 0, stop)
        if not agent.login():
            raise RuntimeError("the agent could not log in")
        threads = [threading.Thread(target=bot_customer, args=(balancer, stats, n, stop, THINK), daemon=True)
                   for n in range(BOT_CUSTOMERS)]
        threads += [threading.Thread(target=live_chat, args=(balancer, stats, n, stop, agent, LIVE_EVERY), daemon=True)
                    for n in range(LIVE_CHATS)]
        threads += [threading.Thread(target=searcher, args=(balancer, stats, n, stop), daemon=True)
                    for n in range(SEARCHERS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        if FAULTS:
            threading.Thread(target=faults, args=(layout, stop, started, fault_log), daemon=True).start()
        while time.monotonic() - started < SECONDS:
            memory.append({"at_s": round(time.monotonic() - started), **layout.rss_mb()})
            time.sleep(min(15, max(0.1, SECONDS - (time.monotonic() - started))))
        stop.set()
        for t in threads:
            t.join(60)
        time.sleep(3)  # the last replies' events
        report = {
            "seconds": SECONDS, "bot_customers": BOT_CUSTOMERS, "live_chats": LIVE_CHATS, "searchers": SEARCHERS,
            "paths": {path: {**latency_stats(values), "errors": dict(stats.errors.get(path, {}))}
                      for path, values in sorted(stats.latency.items())},
            "errors_without_answer": {p: dict(e) for p, e in stats.errors.items() if p not in stats.latency},
            "failovers": stats.failovers, "bot_turns_without_assistant": stats.bot_unavailable,
            "faults": fault_log, "memory_mb": memory, "accounting": account(stats),
        }
        RESULTS.write_text(json.dumps(report, indent=2))
        print(json.dumps({k: v for k, v in report.items() if k != "memory_mb"}, indent=2))
        first, last = memory[1] if len(memory) > 1 else memory[0], memory[-1]
        print("memory MB, first sample -> last:", {k: f"{first.get(k)} -> {last.get(k)}" for k in last if k != "at_s"})
        acc = report["accounting"]
        failed_faults = [f for f in fault_log if "failed" in f]
        return 0 if not (acc["customer_lost"] or acc["customer_duplicated"] or acc["agent_lost"]
                         or acc["agent_duplicated"] or failed_faults or (FAULTS and len(fault_log) < 6)) else 1
    finally:
        layout.stop_all()


if __name__ == "__main__":
    sys.exit(main())
