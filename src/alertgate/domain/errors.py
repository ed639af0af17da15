"""Errors the domain raises.

DomainError
└── PayloadError       a sender's body cannot be turned into alert events (HTTP 4xx)
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error raised by the decision core and the source parsers."""


class PayloadError(DomainError):
    """A webhook body is unusable; `field` names the part that is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
