"""Which mail addresses the settings accept: what Exchange Online and Graph take, checked at
start-up so that a typo fails `check-config` instead of the first escalation."""

from __future__ import annotations

import re

# RFC 5322 dot-atom text, plus any non-ASCII character (internationalised addresses). It takes
# what Entra UPNs hold: `+`, `'`, and a guest's `#EXT#` (user_x.com#EXT#@tenant.onmicrosoft.com).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_LETTER = r"[A-Za-z0-9\u0080-\U0010ffff]"
_LABEL = re.compile(rf"{_LETTER}([A-Za-z0-9\-\u0080-\U0010ffff]{{0,61}}{_LETTER})?")
# Graph's /users/{id | userPrincipalName}/sendMail also takes the mailbox user's object id.
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def address_problem(address: str) -> str | None:
    """Why `address` is not a mail address (`name@domain`), or None when it is one."""
    if "<" in address or ">" in address:
        return f"{address!r}: give the bare address (name@domain), without a display name"
    if any(c.isspace() for c in address):
        # An inline "# comment" after a value in an env file ends up here (systemd keeps it).
        return f"{address!r} is not an email address (it contains spaces)"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return f"{address!r} is not an email address (expected name@domain)"
    if not _LOCAL.fullmatch(local):
        return f"{address!r}: {local!r} is not a valid name before the @"
    if not all(_LABEL.fullmatch(label) for label in domain.split(".")):
        return f"{address!r}: {domain!r} is not a domain name"
    return None


def is_object_id(value: str) -> bool:
    """True for an Entra object id (a GUID), which Graph takes in place of a mailbox's UPN."""
    return bool(_OBJECT_ID.fullmatch(value))
