"""Errors that cross the ports: store failures, delivery failures, bad cursors."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not do what was asked (unreachable, or a transaction failed)."""


class StoreRefusedError(StoreError):
    """The database refused a value of this transaction (a text it cannot hold, say): the
    same transaction would fail again, whatever the database's health."""


class ConcurrentUpdateError(StoreError):
    """Another writer changed or created the same incident first; retry the transaction."""


class InvalidCursorError(ValueError):
    """A pagination cursor that was not handed out by this API."""


class DeliveryError(Exception):
    """A notifier could not deliver. `retryable` says whether trying again can help."""

    def __init__(
        self, reason: str, message: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
