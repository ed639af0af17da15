"""alertgate's env-file reader agrees with systemd's own parser, run here: the env files of this
repository and random files built from the characters the parser treats specially.

No systemd runs here, but systemd-environment-d-generator (package systemd) reads
~/.config/environment.d/*.conf with the same tokenizer as EnvironmentFile= (env-file.c's
parse_env_file_internal) and prints the result. It differs from EnvironmentFile= only after
tokenizing: it expands `$VAR` and skips an assignment with nothing after "=" (EnvironmentFile=
sets it empty). So these tests keep `$` out of the compared values and compare alertgate's
tokens, after the generator's own checks, with what the generator prints.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alertgate import config_envfile
from tests.conftest import FIXTURES
from tests.support.deploy_files import ENV_EXAMPLE, uncommented_env

GENERATORS = [
    Path(d) / "user-environment-generators" / "30-systemd-environment-d-generator"
    for d in ("/usr/lib/systemd", "/lib/systemd")
]
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The characters and words systemd's tokenizer treats specially, and some it does not.
PIECES = ["A", "B", "_", "9", "x", "-", "é", "=", "=", " ", "\t", "\n", "\n", "\r", "#", ";"]
PIECES += ["'", '"', "\\", "`", "export ", "\ufeff"]
NAMES = ["A", "B", "C_1", "_", " A", "A ", "export A", "9A", "A B", "a-b", "\ufeffA", ""]
VALUE_PIECES = ["x", "y z", " ", "\t", "#", " #", ";", "=", "'", '"', "\\", "`", "é", "\r"]
VALUE_PIECES += ["\\\n", "\\\r", '\\"', "\\'", "\\x", "\\\\", "\\`", "\n"]


def _pieces(choices: list[str], size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(choices), max_size=size).map("".join)


# A file of lines: assignments with odd names and values, comments holding quotes or a final
# backslash, and stray text; joined with \n or \r\n. Plus fully random text.
LINE = st.one_of(
    st.tuples(
        st.sampled_from(NAMES), st.sampled_from(["=", " = ", "= "]), _pieces(VALUE_PIECES, 8)
    ).map("".join),
    st.tuples(st.sampled_from(["#", ";", "  #", "\t;"]), _pieces(VALUE_PIECES, 5)).map("".join),
    _pieces(PIECES, 6),
)
FILES = st.one_of(
    st.tuples(st.lists(LINE, max_size=6), st.sampled_from(["\n", "\r\n"])).map(
        lambda lines_and_break: lines_and_break[1].join(lines_and_break[0])
    ),
    _pieces(PIECES, 40),
)


def generator() -> Path:
    found = [g for g in GENERATORS if g.is_file()]
    assert found, "systemd-environment-d-generator not found: `make test-tools` installs systemd"
    return found[0]


def systemd_version() -> int:
    out = subprocess.run(
        ["systemd-analyze", "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[1])


C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def decode(output: str) -> dict[str, str]:
    """The generator's KEY=VALUE lines. A value with special characters is double-quoted
    (shell_maybe_quote): \\ before each of "\\`$, C escapes (\\n, \\t, \\033) for control
    characters."""
    found: dict[str, str] = {}
    for line in output.split("\n")[:-1]:
        key, _, value = line.partition("=")
        if value.startswith('"') and value.endswith('"'):
            value = re.sub(r"\\([0-7]{3}|.)", _unescape, value[1:-1])
        found[key] = value
    return found


def _unescape(match: re.Match[str]) -> str:
    escaped = match[1]
    if len(escaped) == 3:
        return chr(int(escaped, 8))
    return C_ESCAPES.get(escaped, escaped)


class Systemd:
    """Runs the generator on one file in a private XDG_CONFIG_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        (home / "environment.d").mkdir(parents=True, exist_ok=True)
        self.conf = home / "environment.d" / "50-alertgate-test.conf"
        self.conf.write_bytes(b"")
        self.baseline = self._run()  # what the machine's own environment.d files set

    def _run(self) -> dict[str, str]:
        result = subprocess.run(
            [generator()],
            env={"XDG_CONFIG_HOME": str(self.home), "HOME": str(self.home)},
            capture_output=True,
            check=True,
        )
        return decode(result.stdout.decode())

    def reads(self, data: bytes) -> dict[str, str]:
        self.conf.write_bytes(data)
        return {k: v for k, v in self._run().items() if k not in self.baseline}


@pytest.fixture(scope="module")
def systemd(tmp_path_factory: pytest.TempPathFactory) -> Systemd:
    return Systemd(tmp_path_factory.mktemp("xdg"))


def as_generator_would(data: bytes, baseline: dict[str, str]) -> dict[str, str]:
    """alertgate's tokens after the generator's checks: a valid name and something after "="."""
    found: dict[str, str] = {}
    text = data.decode("utf-8")
    for a in config_envfile.tokenize(text).assignments:
        if a.value is not None and NAME.fullmatch(a.key) and a.key not in baseline:
            found[a.key] = a.value
    return found


def repository_env_files() -> list[Path]:
    return sorted((FIXTURES / "config").glob("*.env"))


@pytest.mark.parametrize("path", repository_env_files(), ids=lambda p: p.name)
def test_systemd_reads_each_fixture_env_file_as_alertgate_does(
    systemd: Systemd, path: Path
) -> None:
    """The proof of concept's file and the shell-style file: same names, same values (a value
    with `$` is left out: the generator expands it, EnvironmentFile= does not)."""
    data = path.read_bytes()
    ours = as_generator_would(data, systemd.baseline)
    expanded = {k for k, v in ours.items() if "$" in v}
    theirs = systemd.reads(data)
    assert {k: v for k, v in ours.items() if k not in expanded} == {
        k: v for k, v in theirs.items() if k not in expanded
    }
    assert len(ours) > len(expanded)  # the file does set something


def test_systemd_reads_the_example_env_file_uncommented_as_alertgate_does(
    systemd: Systemd,
) -> None:
    """deploy/alertgate.env.example with every setting switched on reads the same."""
    data = "".join(f"{k}={v}\n" for k, v in uncommented_env(ENV_EXAMPLE).items()).encode()
    expected = as_generator_would(data, systemd.baseline)
    assert systemd.reads(data) == expected
    assert expected == config_envfile.parse(data).values


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(FILES)
def test_systemd_and_alertgate_tokenize_any_file_alike(systemd: Systemd, text: str) -> None:
    """Random files of quotes, escapes, comments, line breaks, `=` and odd names: alertgate's
    tokenizer finds the names and values systemd's finds."""
    if systemd_version() < 254:  # a comment ending in "\" there also hides the next line
        assume(not config_envfile.tokenize(text).comment_backslash)
    data = text.encode()
    assert as_generator_would(data, systemd.baseline) == systemd.reads(data)


def test_a_comment_ending_in_a_backslash_depends_on_the_systemd_version(
    systemd: Systemd,
) -> None:
    """Why check-config warns about it: systemd before 254 ignores the line after such a
    comment, 254 and later read it (as alertgate does)."""
    data = b"# note \\\nA=1\n"
    expected = {} if systemd_version() < 254 else {"A": "1"}
    assert systemd.reads(data) == expected
    assert config_envfile.parse(data).values == {"A": "1"}
    assert config_envfile.parse(data).warnings[0].startswith("line 1: the comment ends")
