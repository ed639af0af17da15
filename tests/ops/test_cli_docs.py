"""docs/cli.md shows every command's real --help (run `make cli-docs` after changing the CLI)."""

from __future__ import annotations

import argparse

from tests.support.cli_docs import CLI_DOC, commands, documented, rendered


def test_every_command_has_a_help_block_in_the_docs() -> None:
    """Each command and subcommand the parser knows has a `$ alertgate ... --help` block."""
    missing = {path for path, _ in commands()} - documented(CLI_DOC.read_text())
    assert not missing, f"docs/cli.md lacks help blocks for {sorted(missing)}"


def test_no_help_block_documents_a_command_that_does_not_exist() -> None:
    """A block for a removed or renamed command is an error, not silently kept."""
    unknown = documented(CLI_DOC.read_text()) - {path for path, _ in commands()}
    assert not unknown, f"docs/cli.md documents unknown commands {sorted(unknown)}"


def test_every_help_block_is_the_current_help_output() -> None:
    """The text under each block is exactly what --help prints (100 columns, Python 3.11)."""
    text = CLI_DOC.read_text()
    assert rendered(text) == text, "docs/cli.md is stale: run `make cli-docs`"


def test_every_command_describes_itself() -> None:
    """No command is listed without a one-line help, and none has an empty description."""
    for path, parser in commands():
        assert parser.description, f"`{path}` has no description"
    for path, parser in commands():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:  # the one-line help of each subcommand
                    assert choice.help, f"`{path} {choice.dest}` has no one-line help"
            else:
                assert action.help, f"`{path}` option {action.dest} has no help"
