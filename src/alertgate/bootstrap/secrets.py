"""Every secret a configuration holds, for redaction in logs, responses and CLI output."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from alertgate.adapters.notifiers._http import url_secrets
from alertgate.config import SPECS, Settings


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in the settings, for redaction: the value of each setting marked secret
    (so a new secret setting is covered by its Spec alone), and the secret parts of URLs."""
    found: list[str] = []
    for spec in SPECS:
        value = getattr(settings, spec.field)
        if not spec.secret or value is None:
            continue
        for text in secret_texts(value):
            # The database URL is shown without its password (check-config, the start-up
            # log); every other secret setting is secret as a whole.
            whole = [] if spec.field == "database_url" else [text]
            found += [*whole, *url_secrets(text)]
    return found


def secret_texts(value: object) -> list[str]:
    """The texts inside a secret setting: a SecretStr, or the values of a table or list of
    them (a header table: its values are the secrets, not its names)."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in secret_texts(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [t for v in value for t in secret_texts(v)]
    return [str(value)]
