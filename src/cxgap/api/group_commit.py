"""Group commit for webhook deliveries: calls that arrive while a batch from the same source is being
written wait, and the next of them writes all that fit together in one batch (one transaction, one run of
the case rules) instead of queueing one by one behind the store's single writer. Each caller gets its own
result, or its own exception; a batch that fails as a whole is retried call by call, so one call's fault
never becomes another's."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[K, T, R]):
    """One waiting call: its key and item, then its result or exception."""

    def __init__(self, key: K, item: T) -> None:
        self.key, self.item = key, item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[K, T, R]):
    """Runs `work(key, items)` for groups of items submitted under the same key, one group per key at a
    time; `fits(group, item)` says whether an item may join a group (the first item always may).

    While a key is busy (its last group held more than one item), the next leader first waits up to
    `gather_seconds` for the callers just answered to send again, so groups stay large instead of
    alternating between one item and all the rest; an idle key is written at once."""

    def __init__(
        self,
        work: Callable[[K, Sequence[T]], Sequence[R]],
        fits: Callable[[Sequence[T], T], bool],
        gather_seconds: float = 0.0,
    ) -> None:
        self._work, self._fits, self.gather_seconds = work, fits, gather_seconds
        self._busy: dict[K, bool] = {}
        self._changed = threading.Condition()
        self._waiting: list[_Slot[K, T, R]] = []
        self._leading: set[K] = set()
        self.groups = 0  # batches written, for the benchmark and the tests
        self.items = 0

    def submit(self, key: K, item: T) -> R:
        """Write `item` (alone or with others that arrived meanwhile) and return its own result."""
        slot: _Slot[K, T, R] = _Slot(key, item)
        with self._changed:
            self._waiting.append(slot)
            while not slot.done and key in self._leading:
                self._changed.wait()
            if slot.done:
                return slot.outcome()
            self._leading.add(key)
            if self.gather_seconds and self._busy.get(key):
                self._changed.wait(self.gather_seconds)  # others of this key queue meanwhile
            group = self._take(slot)
            self._busy[key] = len(group) > 1
        try:
            self._run(key, group)
        finally:
            with self._changed:
                self._leading.discard(key)
                self._changed.notify_all()
        return slot.outcome()

    def _take(self, leader: _Slot[K, T, R]) -> list[_Slot[K, T, R]]:
        """The leader's own item, then every waiting item of its key that fits, in arrival order."""
        group = [leader]
        for slot in self._waiting:
            if (
                slot is not leader
                and slot.key == leader.key
                and self._fits([s.item for s in group], slot.item)
            ):
                group.append(slot)
        taken = {id(s) for s in group}
        self._waiting = [s for s in self._waiting if id(s) not in taken]
        return group

    def _run(self, key: K, group: list[_Slot[K, T, R]]) -> None:
        try:
            results = self._work(key, [s.item for s in group])
            for slot, result in zip(group, results, strict=True):
                slot.result = result
            self.groups, self.items = self.groups + 1, self.items + len(group)
        except Exception as error:  # noqa: BLE001 - handed to the caller it belongs to
            if len(group) == 1:
                group[0].error = error
            else:
                for slot in group:
                    self._run(key, [slot])
        finally:
            for slot in group:
                slot.done = True
