"""docs/benchmarks.md, written from one run's results (and the hand-written findings beside
this module), so that the page always says what the last run measured and how."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import summary
from benchmarks.method import method_section
from benchmarks.summary import Spread

FINDINGS = Path(__file__).with_name("findings.md")
SYSTEM_NAMES = {
    "alertgate-sqlite": "alertgate, SQLite, 1 process",
    "alertgate-pg-1": "alertgate, PostgreSQL, 1 process",
    "alertgate-pg-2": "alertgate, PostgreSQL, 2 processes",
    "alertmanager": "Alertmanager 0.25, single node",
    "bare-asgi": "bare ASGI app on uvicorn (no storage)",
}
Result = Mapping[str, Any]


def render(results: Result) -> str:
    """The whole page."""
    sections = [
        _header(results),
        _summary(results),
        _machine(results),
        method_section(results),
        _ingest(results),
        _holds(results),
        _cost(results),
        _profile(results),
        _problems(results),
    ]
    return "\n\n".join(s for s in sections if s).rstrip() + "\n"


def _header(r: Result) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{r['argv']}` on {r['generated_at']} from commit `{r['commit']}`; "
        "do not edit by hand (the findings under *Profile* come from `benchmarks/findings.md`).",
        "What each number means and how it is taken is under *Method*.",
    ]
    ran = r.get("ran_at", {})
    if len(set(ran.values())) > 1:  # a page updated benchmark by benchmark (--update)
        when = "; ".join(f"{name}: {at}" for name, at in ran.items())
        lines += [
            "",
            f"Benchmarks from different runs ({when}); machine and versions below "
            "are the latest run's.",
        ]
    if r["mode"] == "quick":
        lines += [
            "",
            "> **Smoke run (`--quick`)**: every benchmark at a tiny size, to prove the harness "
            "works. These numbers say nothing about performance.",
        ]
    if r.get("noisy"):
        lines += ["", f"> **Noisy machine**: {r['noisy']}"]
    return "\n".join(lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def _mark(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "not measured"}[met]


def _summary(r: Result) -> str:
    found = summary.targets(r)
    if not found:
        return ""
    rows = [[t.what, t.goal, t.measured, _mark(t.met)] for t in found]
    return "## Issue 5's targets\n\n" + _table(["target", "goal", "this run", "met"], rows)


def _machine(r: Result) -> str:
    rows = [[k, str(v)] for k, v in {**r["machine"], **r["versions"]}.items()]
    rows.append(["load average at the end", r["load_end"]])
    text = "## Machine and versions\n\n" + _table(["", ""], rows)
    ingest = r.get("ingest") or []
    if ingest:
        cores = int(r["machine"]["cores"])
        shares = [summary.foreign_cpu_share(x, cores) for x in ingest]
        text += (
            "\n\nOther processes on the machine used "
            f"{statistics_text(shares)} of its CPU during the ingest rounds (busy time of the "
            "whole machine from /proc/stat, less the servers', their database backends' and "
            "wrk's own CPU time). The load generator and the servers share the same "
            f"{cores} cores."
        )
    return text


def statistics_text(values: Sequence[float]) -> str:
    s = Spread.of([v for v in values if not math.isnan(v)])
    return f"{s.median:.0%} (median; {s.low:.0%} to {s.high:.0%})"


def _fmt(s: Spread, digits: int = 0, unit: str = "") -> str:
    if not s.n:
        return "n/a"
    return f"{s.median:,.{digits}f}{unit} ({s.low:,.{digits}f}–{s.high:,.{digits}f})"


def _ingest(r: Result) -> str:
    ingest = r.get("ingest") or []
    if not ingest:
        return ""
    rows = []
    for system, name in SYSTEM_NAMES.items():
        valid = summary.valid_rounds(ingest, system)
        cpu = Spread.of([summary.cpu_us_per_request(x) for x in valid])
        db = Spread.of([summary.db_cpu_us_per_request(x) for x in valid if x["db_cpu_s"]])
        rows.append(
            [
                name,
                _fmt(summary.spread(ingest, system, "throughput")),
                _fmt(summary.spread(ingest, system, "p50_ms"), 1),
                _fmt(summary.spread(ingest, system, "p99_ms"), 1),
                _fmt(cpu),
                _fmt(db) if db.n else "–",
                _fmt(summary.ratio(ingest, system, "alertmanager"), 2, "×"),
                _fmt(summary.ratio(ingest, system, "bare-asgi"), 2, "×"),
                f"{len(valid)}/{sum(1 for x in ingest if x['system'] == system)}",
            ]
        )
    header = [
        "system",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "server CPU µs/request",
        "PostgreSQL backends CPU µs/request",
        "× Alertmanager",
        "× bare ASGI",
        "valid rounds",
    ]
    text = "## 1 and 2. Ingest under load\n\n" + _table(header, rows)
    text += (
        "\n\nMedians over the valid rounds, with the smallest and largest in brackets; a ratio "
        "is the ratio of the medians, with the range of the ratios of the rounds (each round "
        "measures every system once, one after the other). A round with any failed request, "
        "a server that did not stop cleanly or a failed store check does not count.\n\n"
    )
    text += "<details><summary>Every round</summary>\n\n" + _rounds(ingest) + "\n\n</details>"
    return text


def _rounds(ingest: Sequence[Result]) -> str:
    rows = []
    for x in sorted(ingest, key=lambda x: (x["round"], x["system"])):
        checks = "; ".join(
            f"{k}: {v}" for k, v in x["checks"].items() if k not in ("command", "servers")
        )
        rows.append(
            [
                str(x["round"] + 1),
                x["system"],
                f"{x['throughput']:,.0f}",
                f"{x['p99_ms']:.1f}",
                f"{x['max_ms']:.1f}",
                f"{x['requests']:,}",
                f"{summary.cpu_us_per_request(x):,.0f}",
                f"{x['ready_s']:.2f}",
                checks or "–",
                "; ".join(x["problems"]) or "–",
            ]
        )
    header = ["round", "system", "req/s", "p99 ms", "max ms", "requests", "CPU µs/req"]
    return _table([*header, "ready s", "store checks", "problems"], rows)


def _holds(r: Result) -> str:
    h = r.get("holds")
    if not h:
        return ""
    late = h["lateness_ms"]
    rows = [
        ["open holds in the store", f"{h['holds']:,}"],
        ["seeding them (engine code, bulk transactions)", f"{h['seed_s']:.1f} s"],
        ["first start: spawn → /ready answers 200", f"{h['first_ready_s']:.2f} s"],
        ["restart: spawn → /ready answers 200", f"{h['restart_ready_s']:.2f} s"],
        ["engine RSS, idle after the restart", f"{h['rss_idle_mb']:.0f} MB"],
        ["engine RSS, peak (VmHWM)", f"{h['rss_peak_mb']:.0f} MB"],
        ["holds falling due within one second", f"{h['due']:,}"],
        ["... decided", f"{h['decided']:,}"],
        ["... decided twice (same incident, episode and outcome)", str(h["decided_twice"])],
        ["holds decided that were not due", str(h["decided_not_due"])],
        [
            "lateness: decided_at − deadline (min / p50 / p99 / max)",
            " / ".join(f"{late[k]:.0f} ms" for k in ("min", "p50", "p99", "max") if k in late)
            or "n/a",
        ],
        ["first deadline → last decision", f"{h['drain_s']:.2f} s"],
        ["escalation notifications by outbox status", str(h["notifications"])],
    ]
    text = "## 3. A million open holds\n\n" + _table(["", ""], rows)
    return text + "\n\nCommand: `" + "`, `".join(h["commands"]) + "`"


def _cost(r: Result) -> str:
    points = r.get("cost") or []
    if not points:
        return ""
    rows = []
    for p in points:
        by = p["bytes_by_object"]
        top = sorted(by.items(), key=lambda kv: -kv[1])[:3]
        share = ", ".join(f"{k} {v / p['incidents']:,.0f}" for k, v in top)
        rows.append(
            [
                f"{p['incidents']:,}",
                f"{p['events']:,}",
                f"{p['bytes_total'] / p['incidents']:,.0f}",
                share,
                f"{p['server_cpu_s'] / p['requests'] * 1e6:,.0f}" if p["requests"] else "n/a",
                f"{p['throughput']:,.0f}",
                f"{p['p99_ms']:.1f}",
                f"{p['incidents_after']:,}",
                "; ".join(p["problems"]) or "–",
            ]
        )
    header = [
        "stored incidents",
        "events",
        "bytes on disk / incident",
        "largest (bytes / incident)",
    ]
    header += ["CPU µs / webhook", "req/s", "p99 ms", "incidents after the load", "problems"]
    return (
        "## 4. Cost per alert\n\n"
        + _table(header, rows)
        + "\n\nBytes: the SQLite files after a checkpoint, divided by the incidents stored; by "
        "table and index from SQLite's `dbstat`. CPU: user + system time of the `alertgate "
        "serve` process during the load, divided by the requests answered."
    )


def _profile(r: Result) -> str:
    p = r.get("profile")
    if not p:
        return ""
    busy = p["samples"] - p["idle_samples"]
    text = (
        "## Profile\n\n"
        f"py-spy sampled the event loop's thread of `alertgate serve` (SQLite) "
        f"{p['samples']:,} times while wrk loaded it ({p['throughput']:,.0f} requests/s). It "
        f"was idle (waiting in epoll) in {p['idle_samples'] / max(1, p['samples']):.0%} of "
        "the samples. The others, called busy below, are samples in which it worked or was "
        "blocked in a call (writing the WAL at a commit, say), which stalls every request "
        "alike. Busy samples by part of the path (the innermost frame that belongs to a part "
        "decides):\n\n"
    )
    rows = [[part, f"{n / max(1, busy):.0%}"] for part, n in p["by_part"].items()]
    text += _table(["part", "share of busy samples"], rows)
    others = p.get("other_threads") or {}
    if others:
        listed = ", ".join(f"{name} {n / max(1, p['samples']):.0%}" for name, n in others.items())
        text += (
            "\n\nThe engine's other threads run beside the event loop (the GIL is released "
            "while they wait on the disk); their busy samples, as a share of the event loop's "
            f"samples: {listed}."
        )
    rows = [[f"`{name}`", f"{n / max(1, busy):.0%}"] for name, n in p["top_self"][:12]]
    text += "\n\nFunctions where the time is spent (self time):\n\n" + _table(["", ""], rows)
    rows = [[f"`{name}`", f"{n / max(1, busy):.0%}"] for name, n in p["top_inclusive"][:15]]
    text += "\n\nalertgate functions by inclusive time:\n\n" + _table(["", ""], rows)
    text += f"\n\nCommand: `{p['command']}`"
    if FINDINGS.exists():
        text += "\n\n" + FINDINGS.read_text().strip()
    return text


def _problems(r: Result) -> str:
    found = [f"{name}: {problem}" for name, problem in r.get("errors", {}).items()]
    for x in r.get("ingest") or []:
        found += [f"ingest round {x['round'] + 1}, {x['system']}: {p}" for p in x["problems"]]
    for key in ("holds", "profile"):
        found += [f"{key}: {p}" for p in (r.get(key) or {}).get("problems", [])]
    for p in r.get("cost") or []:
        found += [f"cost at {p['incidents']:,} incidents: {x}" for x in p["problems"]]
    if not found:
        return "## Problems\n\nNone: every request answered 2xx, every store check passed."
    return "## Problems found in this run\n\n" + "\n".join(f"- {x}" for x in found)
