"""How the folder tells a poison item from an outage, and narrows a failing fold to one item.

An outage (the database away or busy, the lease lost) ends by itself: the fold waits and
tries again, as long as it takes. Any other failure that repeats is taken for a poison item,
something in the data that makes the same step fail every time, and after `ATTEMPTS` tries
that item is set aside (shared/platform/quarantine.py) so the rest is counted.
"""

from pymongo.errors import ConnectionFailure, OperationFailure

from shared.platform.storage.lease import LeaseLost
from shared.platform.storage.writes import is_busy

ATTEMPTS = 3


def is_outage(error: BaseException) -> bool:
    """Failures that say nothing about the data being folded."""
    if isinstance(error, LeaseLost | ConnectionFailure):
        return True
    return isinstance(error, OperationFailure) and is_busy(error)


class Suspects:
    """Consecutive failures of the fold before its commit, by the inbox documents it took.

    After `ATTEMPTS` failures of a batch, the fold takes its first document alone; once that
    document alone has failed `ATTEMPTS` times, it is the poison. A fold that succeeds
    clears every suspicion.
    """

    def __init__(self) -> None:
        self._first: str | None = None
        self._failures = 0
        self._alone = False
        self.reason = ""

    @property
    def narrowed(self) -> bool:
        """Whether the next fold should take one document only."""
        return self._alone

    def failed(self, taken: list[str], error: BaseException) -> None:
        if not taken:
            return
        if taken[0] != self._first:
            self._first, self._failures, self._alone = taken[0], 0, False
        self._failures += 1
        self.reason = repr(error)
        if not self._alone and self._failures >= ATTEMPTS:
            self._alone, self._failures = True, 0

    def is_poison(self, document_id: str) -> bool:
        return self._alone and self._first == document_id and self._failures >= ATTEMPTS

    def cleared(self) -> None:
        self._first, self._failures, self._alone, self.reason = None, 0, False, ""
