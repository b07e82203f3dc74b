"""Errors split by blame (h11's habit).

- `LocalError`: our caller misused a machine (a bug in the driver). Raised.
- `RemoteRejection`: a peer sent nonsense. Never raised out of `step`; a machine turns it
  into a `Reject` effect (see effects.py) and leaves its state unchanged.
- `IllegalTransition`: a transition outside a lifecycle table; names machine, state, input.
"""

from __future__ import annotations


class MesotronError(Exception):
    """Base of every error a core machine raises."""


class LocalError(MesotronError):
    """The caller misused a machine (driver bug)."""


class RemoteRejection(MesotronError):
    """A peer's input is invalid. Carries an HTTP-like status and a message for the peer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class IllegalTransition(MesotronError):
    """A transition the table does not allow."""

    def __init__(self, machine: str, state: object, input: object) -> None:
        super().__init__(f"{machine}: illegal transition from {state!r} on {input!r}")
        self.machine = machine
        self.state = state
        self.input = input
