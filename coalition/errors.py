"""The domain's errors: every service raises a ``ServiceError`` whose message is meant for people,
so each interface (a page, the workspace, the API, a command) can show it as it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ServiceError(Exception):
    """A change the domain refuses; its message is meant for people."""


class EndorsementTransitionError(ServiceError):
    """A transition the workflow does not allow."""


class ApplicationError(ServiceError):
    """An application or a change that cannot be accepted."""


class ApprovalNeedsAcknowledgement(ServiceError):
    """An approval that needs acknowledging first (a lookalike, a shared domain or registry ID,
    a domain not proven): approve with ``acknowledged=True`` and a note saying what was checked.
    ``reasons``: what needs acknowledging (``coalition.reviewing.approval.Reason``), for screens.
    """

    def __init__(self, message: str, *, reasons: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)
