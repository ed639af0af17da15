"""`python -m benchmarks`: run issue 5's benchmarks and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import cost, holds, ingest, prereqs, profile, report
from benchmarks.bodies import Item
from benchmarks.harness import FULL, QUICK, Bench, pg_server_version, pg_setting
from benchmarks.summary import foreign_cpu_share
from benchmarks.templates import ALERTMANAGER, CORALOGIX, render

BENCHMARKS = ("ingest", "holds", "cost", "profile")
ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure alertgate against Alertmanager and a bare ASGI app (issue 5) and "
        "write docs/benchmarks.md. Installs wrk and prometheus-alertmanager with apt-get when "
        "missing; needs the local PostgreSQL server for the PostgreSQL rounds.",
    )
    parser.add_argument("--quick", action="store_true", help="every benchmark at a tiny size")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma list of {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--rounds", type=int, help="ingest rounds (default 5; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds of load per round")
    parser.add_argument(
        "--out",
        type=Path,
        help="the page to write (default docs/benchmarks.md; quick: bench-out/quick/benchmarks.md)",
    )
    parser.add_argument("--workdir", type=Path, help="scratch space (default bench-out/work)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other benchmarks' results from the page's JSON (with --only)",
    )
    parser.add_argument(
        "--report-only", type=Path, metavar="JSON", help="rewrite the page from a results file"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quick = bool(args.quick)
    out = args.out or (ROOT / ("bench-out/quick/benchmarks.md" if quick else "docs/benchmarks.md"))
    if args.report_only:
        results = json.loads(args.report_only.read_text())
        _write(out, results)
        return 0
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        _parser().error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    sizes = QUICK if quick else FULL
    if args.rounds:
        sizes = dataclasses.replace(sizes, rounds=args.rounds)
    if args.duration:
        sizes = dataclasses.replace(sizes, duration_s=args.duration)
    tools = prereqs.ensure_tools()
    workdir = args.workdir or ROOT / ("bench-out/quick-work" if quick else "bench-out/work")
    bench = Bench(sizes, tools, workdir, quick)
    results = _context(bench, argv)
    if args.update and out.with_suffix(".json").exists():
        _keep_others(results, json.loads(out.with_suffix(".json").read_text()), only)
    runners: dict[str, Callable[[Bench], Any]] = {
        "ingest": ingest.run,
        "holds": holds.run,
        "cost": cost.run,
        "profile": profile.run,
    }
    for name in only:
        started = time.monotonic()
        try:
            results[name] = _plain(runners[name](bench))
        except Exception as exc:  # one benchmark's crash must not lose the others' numbers
            bench.log(f"{name} crashed:\n{traceback.format_exc()}")
            results["errors"][name] = f"{type(exc).__name__}: {exc}"
        results["ran_at"][name] = f"{results['generated_at']}, commit {results['commit']}"
        bench.log(f"{name} took {time.monotonic() - started:.0f} s")
    _finish(results, bench)
    _write(out, results)
    if not args.keep:
        for database in workdir.rglob("*.db*"):
            database.unlink()
    bench.log(f"wrote {out}")
    return 1 if any(name in results["errors"] for name in only) else 0


def _context(bench: Bench, argv: Sequence[str] | None) -> dict[str, Any]:
    sample = Item("trigger", 1, "trigger", int(time.time() * 1000), int(time.time() * 1000))
    words = list(sys.argv[1:] if argv is None else argv)
    return {
        "argv": " ".join(["python -m benchmarks", *words]),
        "mode": "quick" if bench.quick else "full",
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "machine": prereqs.machine(),
        "versions": prereqs.versions(bench.tools, pg_server_version()),
        "pg_synchronous_commit": pg_setting("synchronous_commit"),
        "sizes": dataclasses.asdict(bench.sizes),
        "mix": ingest.MIX.describe(),
        "body_bytes": {
            "coralogix": len(render(CORALOGIX, sample, "s1")),
            "alertmanager": len(render(ALERTMANAGER, sample, "s1")),
        },
        "errors": {},
        "ran_at": {},
    }


def _keep_others(results: dict[str, Any], previous: dict[str, Any], only: list[str]) -> None:
    """Carry the benchmarks not run now over from the previous results, saying when they ran."""
    for name in BENCHMARKS:
        if name in only or name not in previous:
            continue
        results[name] = previous[name]
        when = f"{previous['generated_at']}, commit {previous['commit']}"
        results["ran_at"][name] = previous.get("ran_at", {}).get(name, when)
        if name in previous.get("errors", {}):
            results["errors"][name] = previous["errors"][name]


def _finish(results: dict[str, Any], bench: Bench) -> None:
    results["load_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    rounds = results.get("ingest") or []
    commands: dict[str, str] = {}
    for r in rounds:
        commands[r["system"]] = (
            f"# {r['system']}\n{r['checks']['servers']}\n{r['checks']['command']}"
        )
    results["commands"] = list(commands.values())
    cores = int(results["machine"]["cores"])
    shares = sorted(foreign_cpu_share(r, cores) for r in rounds)
    if shares and shares[len(shares) // 2] > 0.10:
        results["noisy"] = (
            f"other processes used {shares[len(shares) // 2]:.0%} of the CPU (median over the "
            "ingest rounds); the lead takes the reference numbers on a quiet machine."
        )


def _plain(value: Any) -> Any:
    """Dataclasses (and lists of them) as JSON-ready dicts, with derived values kept."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _commit() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(
            ["git", *words], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _write(out: Path, results: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    out.write_text(report.render(results))


if __name__ == "__main__":
    sys.exit(main())
