"""Env files are read exactly as systemd's EnvironmentFile= reads them (the rules of
systemd.exec(5) and of systemd's env-file parser), and every line whose meaning is probably not
what its author meant is reported with its line number and name. tests/ops/test_env_file_systemd.py
compares the same reader with the local systemd binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertgate import config_envfile
from alertgate.cli import main
from alertgate.config_sources import ConfigError, load
from tests.conftest import FIXTURES

POC_ENV = FIXTURES / "config" / "aiops.env"
SHELL_ENV = FIXTURES / "config" / "shell-style.env"


def values(text: str) -> dict[str, str]:
    return config_envfile.parse(text.encode()).values


def warnings(text: str) -> list[str]:
    return config_envfile.parse(text.encode()).warnings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "Empty lines, lines without an "=" separator, or lines starting with ";" or "#" will
        # be ignored" (systemd.exec(5)); a comment may be indented.
        ("\n# A=1\n; B=2\n   # C=3\nD\nE=5\n", {"E": "5"}),
        # Leading and trailing whitespace of an unquoted value is discarded, interior kept.
        ("A=  x  y \t\n", {"A": "x  y"}),
        # Whitespace around the name and "=" is discarded.
        ("  A   =  v\n", {"A": "v"}),
        # An inline "#" is not a comment: only whole lines are.
        ("A=x # y\n", {"A": "x # y"}),
        ("A= # y\n", {"A": "# y"}),
        # "quotes after the first non-whitespace character are preserved".
        ('A=x"y"\n', {"A": 'x"y"'}),
        # A backslash outside quotes keeps the next character; "\\" becomes "\".
        ("A=a\\ b\\\\c\\d\n", {"A": "a b\\cd"}),
        # "A line ending with a backslash will be continued", the newline discarded.
        ("A=one\\\ntwo\n", {"A": "onetwo"}),
        # Single quotes: verbatim, no escapes, may span lines.
        ("A='x\\ny $z'\n", {"A": "x\\ny $z"}),
        ("A='one\ntwo'\n", {"A": "one\ntwo"}),
        # Double quotes: \" \\ \` \$ keep the character, other escapes keep both characters,
        # backslash-newline continues the line; whitespace inside is kept.
        ('A="\\"\\\\\\`\\$ \\n\\q"\n', {"A": '"\\`$ \\n\\q'}),
        ('A=" one\\\n two "\n', {"A": " one two "}),
        # Whitespace outside the quotes is discarded; what follows a closing quote is joined.
        ('A=  "x"  \n', {"A": "x"}),
        ("A=\"x\" 'y' z\n", {"A": "xyz"}),
        ('A="x" # c\n', {"A": "x# c"}),
        # No variable expansion ("$" has no special meaning).
        ("A=$HOME/${USER}\n", {"A": "$HOME/${USER}"}),
        # An empty value is set, as empty.
        ("A=\nB=''\n", {"A": "", "B": ""}),
        # The last of several assignments wins.
        ("A=1\nA=2\n", {"A": "2"}),
        # Invalid names are dropped: `export`, spaces, a leading digit, a dash.
        ("export A=1\nB C=2\n9D=3\nE-F=4\nG_9=5\n", {"G_9": "5"}),
        # A line break is \n or \r: CRLF files read the same.
        ("A=1\r\nB='x'\r\n", {"A": "1", "B": "x"}),
        # The last line needs no line break; an unclosed quote runs to the end of the file.
        ("A=1", {"A": "1"}),
        ('A="open\nB=2\n', {"A": "open\nB=2\n"}),
        # A comment ending in a backslash does not hide the next line (systemd 254 and later).
        ("# note \\\nA=1\n", {"A": "1"}),
        # A byte order mark is not whitespace: it spoils the first name.
        ("\ufeffA=1\nB=2\n", {"B": "2"}),
        # Control characters and non-ASCII letters are kept.
        ("A=t\u00e9\x1bst\n", {"A": "t\u00e9\x1bst"}),
    ],
)
def test_values_follow_systemds_environmentfile_rules(text: str, expected: dict[str, str]) -> None:
    """Each documented rule of systemd's EnvironmentFile= gives the value systemd gives."""
    assert values(text) == expected


def test_a_nul_byte_ends_the_file_as_it_does_for_systemd() -> None:
    """systemd reads the file as a C string: nothing after a NUL byte is read, and the line
    is reported."""
    env = config_envfile.parse(b"A=1\nB=2\x00C=3\nD=4\n")
    assert env.values == {"A": "1", "B": "2"}
    assert env.warnings == ["line 2: a NUL byte: systemd ignores everything after it"]


@pytest.mark.parametrize("data", [b"A=1\nB=caf\xe9\n", b"A=\xef\xbf\xbe\n", b"\xff=1\n"])
def test_invalid_utf8_in_an_assignment_is_a_problem_as_systemd_refuses_the_file(
    data: bytes,
) -> None:
    """Bytes that are not UTF-8 (or a noncharacter) in a name or value make systemd refuse to
    start the service: the reader reports a problem with the line, and no values."""
    env = config_envfile.parse(data)
    assert env.values == {}
    assert len(env.problems) == 1
    line = data.count(b"\n")
    assert env.problems[0].startswith(f"line {line}: not valid UTF-8")


def test_invalid_utf8_in_a_comment_is_harmless() -> None:
    """systemd checks names and values, not comments."""
    assert config_envfile.parse(b"# caf\xe9\nA=1\n") == config_envfile.EnvFile({"A": "1"}, [], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A=1\nexport EMAIL_FROM=a@b.c\n",
            "line 2: 'export EMAIL_FROM': systemd does not understand 'export ' and ignores the "
            "whole line, so EMAIL_FROM is not set; remove 'export '",
        ),
        (
            "EMAIL_TO=a@b.c   # two\n",
            "line 1: EMAIL_TO: systemd keeps ' #...' as part of the value (only whole lines "
            "are comments)",
        ),
        ("A= # nothing\n", "line 1: A: systemd keeps ' #...' as part of the value"),
        ('\nA="x" # c\n', "line 2: A: a '#' after the closing quote is part of the value"),
        ("A='x'y\n", "line 1: A: text after the closing quote is joined to the value"),
        ("A=C:\\temp\n", "line 1: A: a backslash outside quotes is dropped"),
        ("A='one\ntwo'\nB=1\n", "line 1: A: its quoted value spans several lines"),
        ('\n\nA="open\nB=2\n', "line 3: A: its quote is never closed"),
        ("A=${HOME}\n", "line 1: A: systemd does not expand variables"),
        ("A=1\n\nA=2\n", "line 3: A is set again (first on line 1): the last value wins"),
        ("A=1\nTOKEN\n", "line 2: no '=': systemd ignores this line"),
        ("B C=1\n", "line 1: the name 'B C' before '=' is not a variable name"),
        ("\ufeffA=1\n", "line 1: the file starts with a UTF-8 byte order mark"),
        ("# see \\\nA=1\n", "line 1: the comment ends with a backslash: systemd 254 and later"),
    ],
)
def test_each_surprising_line_is_reported_with_its_number_and_name(
    text: str, expected: str
) -> None:
    """A line that systemd reads differently from what it seems to say gets one warning that
    starts with its line number and names the variable."""
    (warning,) = warnings(text)
    assert warning.startswith(expected), warning


def test_plain_assignments_comments_and_quotes_raise_no_warning() -> None:
    """KEY=VALUE lines, whole-line comments, quoted values on one line and escaped characters
    inside quotes are what they look like: no warning."""
    text = '# c\n; c\nA=1\nB = \'x y\'\nC="a \\" b"\nD=\n\nE=a\\ b\n'
    assert warnings(text) == []


def test_a_line_that_is_not_a_name_is_reported_without_its_text() -> None:
    """A stray line (a wrapped secret, say) is reported by number only: its text may be a
    secret and warnings are printed and logged."""
    env = config_envfile.parse(b"A='x'\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC/+x==\n")
    (warning,) = env.warnings
    assert "MIIE" not in warning
    assert warning.startswith("line 2: the name before '='")


def test_the_proof_of_concepts_env_file_reads_cleanly() -> None:
    """/etc/aiops.env (KEY=VALUE, comments, single and double quotes) gives every value
    unquoted and no warning."""
    env = config_envfile.read(POC_ENV)
    assert env.warnings == []
    assert env.values["TEAMS_WEBHOOK_URL"].startswith("https://prod-12.westus")
    assert env.values["TEAMS_WEBHOOK_URL"].endswith("&sig=TopSecretSig123")
    assert env.values["GRAPH_CLIENT_SECRET"] == "client~secret.value"
    assert env.values["EMAIL_TO"] == "alerts@company.com, oncall@company.com"
    assert len(env.values) == 8


def test_a_shell_style_env_file_reads_as_systemd_reads_it() -> None:
    """The lines written for a shell or python-dotenv get systemd's meaning (no EMAIL_FROM,
    the comment inside EMAIL_TO, no expansion) and one warning each, in line order."""
    env = config_envfile.read(SHELL_ENV)
    assert env.values == {
        "EMAIL_TO": "alerts@company.com, oncall@company.com   # two recipients",
        "TEAMS_WEBHOOK_URL": "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers"
        "/manual/paths/invoke?api-version=2016-06-01&sig=TopSecretSig123# the flow",
        "GRAPH_TENANT_ID": "11111111-2222-3333-4444-555555555555",
        "ALERTGATE_DATABASE_URL": "sqlite:///${STATE_DIRECTORY}/alertgate.db",
        "ALERTGATE_LOG_LEVEL": "info",
        "ALERTGATE_SMTP_USERNAME": "CORPalerts",
        "CORALOGIX_API_KEY": "cx-first-half\ncx-second-half",
    }
    lines = [w.split(":", 1)[0] for w in env.warnings]
    assert lines == [f"line {n}" for n in (3, 4, 5, 8, 9, 11, 12, 13)]
    assert "EMAIL_FROM" in env.warnings[0]
    assert "TopSecretSig123" not in "".join(env.warnings)


def test_check_config_names_the_lines_that_left_a_setting_unset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the shell-style file, check-config exits 2 naming EMAIL_TO (its second address
    carries the comment) and prints the warnings with the file, line and name."""
    assert main(["check-config", "--env-file", str(SHELL_ENV)]) == 2
    err = capsys.readouterr().err
    assert "EMAIL_TO (email.to): Value error, 'oncall@company.com   # two recipients'" in err
    assert f"warning: --env-file {SHELL_ENV} line 3: 'export EMAIL_FROM'" in err
    assert f"warning: --env-file {SHELL_ENV} line 4: EMAIL_TO:" in err
    assert "TopSecretSig123" not in err


def test_load_reports_env_file_warnings_and_problems(tmp_path: Path) -> None:
    """load() carries the reader's warnings (prefixed with the file) on success, and its
    problems as a ConfigError that keeps the warnings."""
    good = tmp_path / "good.env"
    good.write_text("export ALERTGATE_PORT=6000\nALERTGATE_HOLD_SECONDS=5m\n")
    loaded = load({}, env_file=good)
    assert loaded.settings.port == 5000  # the export line is ignored, as by systemd
    assert loaded.warnings[0].startswith(f"--env-file {good} line 1: 'export ALERTGATE_PORT'")
    bad = tmp_path / "bad.env"
    bad.write_bytes(b"A=1\nB \xff=2\n")
    with pytest.raises(ConfigError, match=rf"--env-file {bad} line 2: not valid UTF-8"):
        load({}, env_file=bad)


def test_the_configuration_guides_example_is_what_check_config_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/configuration.md's `cat shell.env` and `check-config` transcript is real output."""
    text = (FIXTURES.parent.parent / "docs" / "configuration.md").read_text()
    block = text.split("$ cat shell.env\n", 1)[1].split("```", 1)[0]
    content, output = block.split("$ alertgate check-config --env-file shell.env\n")
    (tmp_path / "shell.env").write_text(content)
    monkeypatch.chdir(tmp_path)
    assert main(["check-config", "--env-file", "shell.env"]) == 2
    assert capsys.readouterr().err == output
