"""The *Method* section of docs/benchmarks.md: what was run, with which sizes and commands, and
why it is measured this way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Result = Mapping[str, Any]


def method_section(r: Result) -> str:
    s = r["sizes"]
    parts = [
        "## Method",
        "",
        "**Run it.** `make bench` (= `python -m benchmarks`) runs everything and rewrites this "
        "page and `docs/benchmarks.json`; `python -m benchmarks --quick` runs every benchmark "
        "at a tiny size in well under a minute (tests/benchmarks runs it, so the harness cannot "
        "rot); `--only ingest,holds,cost,profile`, `--rounds N`, `--duration S`. The harness "
        "installs Debian's `wrk` and `prometheus-alertmanager` with apt-get when they are "
        "missing (as root), starts every server itself on free loopback ports, and uses the "
        "PostgreSQL server at `ALERTGATE_TEST_PG_URL` (default `postgresql://postgres@127.0.0.1"
        ":5432/test`), creating and dropping a database per round.",
        "",
        f"**This run.** {s['rounds']} round(s); each load lasts {s['duration_s']:g} s after "
        f"{s['warmup_s']:g} s of warm-up, with {s['connections']} connections; "
        f"{s['holds']:,} holds of which {s['holds_due']:,} fall due; store sizes "
        f"{', '.join(f'{n:,}' for n in s['cost_sizes'])}; profile {s['profile_s']:g} s.",
        "",
        "**Load generator: wrk** (Debian's 4.1), one thread, a fixed number of connections, "
        "each with one request in flight (closed loop): it reports the throughput of a "
        "saturated server and the latency of every request from its first byte sent to the "
        "last received, at that concurrency. wrk is C and costs a fraction of the CPU a Python "
        "client would, which matters because **client and servers share the machine's "
        f"{r['machine']['cores']} cores**: every number here is measured with wrk competing "
        "for them, the same way for every system, and only the ratios from the same run mean "
        "much. A Lua script (`benchmarks/load.lua`) sends one plan item per request: the "
        "plan's bodies are rendered from a template whose slots are filled from a data file, "
        "so every request is a different body, and never repeats unless the plan says so (a "
        "round whose plan ran out is discarded). With two alertgate processes, two wrk "
        "processes run at once, each with half the connections, one per port; their latency "
        "percentiles are merged by weight (to within 0.1 percentile).",
        "",
        f"**Bodies.** alertgate gets the Coralogix Generic webhook's default body "
        f"({r['body_bytes']['coralogix']:,} bytes, every key of the default template, rendered "
        "as Coralogix renders a metric alert grouped by host: `benchmarks/templates.py`), one "
        "alert per request; Alertmanager gets the same alerts as `POST /api/v2/alerts` bodies "
        f"with one alert each ({r['body_bytes']['alertmanager']:,} bytes); the bare ASGI app "
        f"gets the Coralogix bodies. The plan: {r['mix']}; 500 alert definitions; a resolve "
        "or re-notification targets an alert triggered at least 256 requests before.",
        "",
        "**Systems**, each started afresh for each round (new database, new Alertmanager), "
        "taking turns in an order that rotates from round to round:",
        "",
        "- `alertgate serve` as shipped, with default settings but for "
        "`ALERTGATE_DATABASE_URL` (a fresh SQLite file, or a fresh PostgreSQL database, every "
        "round) and `ALERTGATE_LOG_FORMAT=json`: a webhook is answered 2xx only "
        "once the transaction holding it is on disk; SQLite in WAL mode, each commit "
        "followed by an fdatasync of the WAL before anything it wrote is acknowledged (one "
        "sync thread serves many commits: `adapters/stores/walsync.py`); PostgreSQL with "
        f"`synchronous_commit={r.get('pg_synchronous_commit', 'unknown')}`. Its JSON log goes "
        "to a file.",
        "- Alertmanager 0.25 (Debian's package): single node, clustering off, one route "
        "grouped by `alertname` to a receiver without integrations, so nothing is sent; it "
        "keeps alerts in memory (only silences and the notification log reach its disk).",
        "- A bare ASGI app (`benchmarks/bare_asgi.py`) on uvicorn with the options `alertgate "
        "serve` uses (uvloop, httptools, no access log): it reads the body and answers 200. "
        "It is the yardstick for what this machine gives a Python server in this run.",
        "",
        "**Checks after each alertgate round** (the server stopped with SIGTERM first, so all "
        "it accepted is committed): the events stored for the plan's stream lie between the "
        "distinct events wrk sent minus its connections (requests cut off unanswered at the "
        "end) and the distinct events sent (a sender retry is stored once), and no incident "
        "episode has the same decision twice.",
        "",
        "**Seeding** (benchmarks 3 and 4) writes exactly what the engine would have written: "
        "rendered Coralogix bodies go through the engine's parser and its ingest transaction "
        "(`apply_batch`) through its SQL store, 1,000 per transaction, on a virtual clock; "
        "before each batch the scheduler's own `decide_due` runs, and the outbox rows are "
        "leased and recorded as sent through the store (`benchmarks/seed.py`). Seeding ends "
        "with sync(2), so that the kernel's writeback of the gigabytes it wrote does not land "
        "on the measured seconds as slow fsyncs.",
        "",
        "Commands of the last round:",
        "",
        "```",
        *r.get("commands", []),
        "```",
    ]
    return "\n".join(parts)
