"""The printed summary of a benchmark run (bench/results.json holds everything)."""

from __future__ import annotations

import nlu
from common import ARTICLE_TARGET_RPS, forum_bench
from insight import summary_lines as insight_summary


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
    if results.get("streams"):
        import streams  # bench/streams.py

        lines.append("")
        lines += streams.summary_lines(results["streams"])
    if results.get("forum"):
        lines.append("")
        lines += forum_bench().summary_lines(results["forum"])
    if results.get("insight"):
        lines.append("")
        lines += insight_summary(results["insight"])
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

