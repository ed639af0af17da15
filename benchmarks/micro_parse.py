"""`python -m benchmarks.micro_parse`: CPU microseconds the Coralogix parser spends per body.

The parser runs once per webhook on the ingest hot path. Each body kind is parsed as 3,000
distinct bodies (the unique identifier varied, as in a storm of distinct alerts), seven times;
the minimum is printed because the machine is shared and noise only ever adds time. CPU time
(process_time), not wall time, so that another process's load does not count.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from alertgate.adapters.sources.coralogix import parse
from alertgate.domain.alert import AlertEvent

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "coralogix"
# body kind -> (fixture, the identifying value varied per body)
BODIES = {
    "default": ("default_trigger.json", b"780c892f-f4db-43cb-a833-5f13a5523e96"),
    "flat": ("flat_groupby.json", b"0c4d4f3e-6a0b-4c1e-9a9f-3f6e2b1d8c7a"),
    "poc": ("poc_triggered.json", b"test-xx"),
}


def bodies(kind: str, count: int) -> list[bytes]:
    """`count` distinct bodies of one kind."""
    name, varied = BODIES[kind]
    raw = (FIXTURES / name).read_bytes()
    assert varied in raw, f"{name} no longer holds {varied!r}"
    return [raw.replace(varied, f"uid-{i}".encode()) for i in range(count)]


def cpu_us_per_body(
    parser: Callable[[bytes], list[AlertEvent]], batch: list[bytes], rounds: int
) -> float:
    """The least CPU time per body over `rounds` passes over the batch, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for body in batch:
            parser(body)
        best = min(best, (time.process_time() - started) / len(batch) * 1e6)
    return best


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.micro_parse", description=__doc__)
    cli.add_argument("--bodies", type=int, default=3000, help="distinct bodies per kind")
    cli.add_argument("--rounds", type=int, default=7, help="passes; the fastest counts")
    args = cli.parse_args()
    for kind in BODIES:
        batch = bodies(kind, args.bodies)
        print(f"{kind:8} {cpu_us_per_body(parse, batch, args.rounds):6.1f} µs/body")


if __name__ == "__main__":
    main()
