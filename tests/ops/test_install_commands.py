"""Every way the docs and deploy files install alertgate installs the same thing: the pinned
checkout with the extras the proof of concept's settings need (its GRAPH_* mail needs msal, the
`graph` extra). test_installed.py installs exactly that and runs it with those settings."""

from __future__ import annotations

import re
import tomllib

from tests.support.deploy_files import DEPLOY, INSTALL, ROOT, documented_extras

ANY_INSTALL = re.compile(r"(?:pip|\$\(PIP\)) install .*(?:alertgate|\.\[)")
PLACES = [
    DEPLOY / "Dockerfile",
    DEPLOY / "alertgate.service",
    ROOT / "docs" / "deploy.md",
    ROOT / "docs" / "migrating-from-poc.md",
    ROOT / "Makefile",
]


def test_every_install_command_installs_the_same_pinned_extras() -> None:
    """Each place that installs alertgate does it with constraints.txt and one set of extras;
    no other `pip install` of alertgate is left unpinned or with other extras."""
    found: dict[str, set[str]] = {}
    for path in PLACES:
        text = path.read_text()
        extras = set(INSTALL.findall(text))
        assert extras, f"{path.name}: no pinned install command"
        unmatched = [
            line
            for line in text.splitlines()
            if ANY_INSTALL.search(line)
            and not INSTALL.search(line)
            # `make lock` installs unpinned on purpose (it re-pins), with the same extras
            and not (".lock-venv" in line and documented_extras() in line)
        ]
        assert not unmatched, f"{path.name}: install not pinned or not of the checkout: {unmatched}"
        found[path.name] = extras
    assert {e for extras in found.values() for e in extras} == {documented_extras()}, found


def test_the_installed_extras_cover_the_proof_of_concepts_channels() -> None:
    """The extras exist in pyproject.toml and include `graph` (msal, for GRAPH_* mail) and
    `postgres`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = documented_extras().strip("[]").split(",")
    assert set(extras) <= set(project["optional-dependencies"])
    assert {"graph", "postgres"} <= set(extras)
    assert any(d.startswith("msal") for d in project["optional-dependencies"]["graph"])
