"""docs/cli.md's help blocks: every `$ alertgate ... --help` block holds that command's --help.

`make cli-docs` rewrites the blocks from the parser; tests/ops/test_cli_docs.py fails when a
block is stale or a command has none. Help is rendered 100 columns wide, by Python 3.11's
argparse (other versions word a few lines differently).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from alertgate.cli import build_parser

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
WIDTH = "100"
BLOCK = re.compile(r"(```text\n\$ (alertgate[^\n]*) --help\n)(.*?)(```)", re.DOTALL)


def commands(
    parser: argparse.ArgumentParser | None = None, prefix: str = "alertgate"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command path (`alertgate incidents list`) with its parser, the root first."""
    parser = parser or build_parser()
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{prefix} {name}")


def help_text(parser: argparse.ArgumentParser) -> str:
    """The parser's --help as a 100-column terminal shows it."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        return parser.format_help()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def rendered(text: str) -> str:
    """`text` (docs/cli.md) with every help block replaced by the current --help."""
    helps = {path: help_text(parser) for path, parser in commands()}

    def replace(match: re.Match[str]) -> str:
        path = match.group(2)
        if path not in helps:
            return match.group(0)  # a block for a command that no longer exists: left to the test
        return f"{match.group(1)}{helps[path]}{match.group(4)}"

    return BLOCK.sub(replace, text)


def documented(text: str) -> set[str]:
    return {m.group(2) for m in BLOCK.finditer(text)}


if __name__ == "__main__":
    CLI_DOC.write_text(rendered(CLI_DOC.read_text()))
    missing = sorted({path for path, _ in commands()} - documented(CLI_DOC.read_text()))
    for path in missing:
        print(f"docs/cli.md: no help block for `{path}`; add a section for it", file=sys.stderr)
    sys.exit(1 if missing else 0)
