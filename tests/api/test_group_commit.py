"""Group commit: calls that arrive while a batch of their key is written wait and are written together;
each caller gets its own result or its own error. The tests hold the first batch open with an event, so
which calls queue behind it is certain, not a matter of timing."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from cxgap.api.group_commit import GroupCommit


class Writer:
    """Work that records each batch; the first batch waits until `release` is set."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, key: str, items: Sequence[int]) -> list[int]:
        if not self.started.is_set():
            self.started.set()
            self.release.wait()
        self.batches.append((key, list(items)))
        if 13 in items:
            raise ValueError("thirteen")
        return [10 * i for i in items]


def _submit_all(group: GroupCommit[str, int, int], calls: list[tuple[str, int]]) -> dict[int, object]:
    """Submit each call from its own thread; every caller's result or error, by item."""
    out: dict[int, object] = {}

    def call(key: str, item: int) -> None:
        try:
            out[item] = group.submit(key, item)
        except ValueError as error:
            out[item] = error

    threads = [threading.Thread(target=call, args=c) for c in calls]
    for t in threads:
        t.start()
    return out, threads  # type: ignore[return-value]


def _queued(group: GroupCommit[str, int, int], n: int) -> None:
    """Wait until `n` calls wait behind the running batch (they do, once their threads have run)."""
    with group._changed:
        while len(group._waiting) < n:
            group._changed.wait(0.01)


def test_calls_that_wait_are_written_together_and_each_gets_its_own_result() -> None:
    writer = Writer()
    group: GroupCommit[str, int, int] = GroupCommit(writer, lambda items, item: len(items) < 3)
    first, first_threads = _submit_all(group, [("hook", 1)])
    writer.started.wait()
    other, other_threads = _submit_all(group, [("other", 6)])  # another key: written at once, alongside
    for t in other_threads:
        t.join()
    rest, threads = _submit_all(group, [("hook", 2), ("hook", 3), ("hook", 4), ("hook", 5)])
    _queued(group, 4)
    writer.release.set()
    for t in first_threads + threads:
        t.join()
    assert first == {1: 10} and other == {6: 60} and rest == {2: 20, 3: 30, 4: 40, 5: 50}
    hook = [items for key, items in writer.batches if key == "hook"]
    assert hook[0] == [1] and sorted(i for items in hook[1:] for i in items) == [2, 3, 4, 5]
    assert all(len(items) <= 3 for items in hook) and len(hook) == 3  # at most three fit in a batch
    assert writer.batches[0] == ("other", [6])
    assert group.items == 6


def test_a_failing_batch_is_retried_call_by_call_so_only_the_faulty_call_fails() -> None:
    writer = Writer()
    group: GroupCommit[str, int, int] = GroupCommit(writer, lambda items, item: True)
    first, first_threads = _submit_all(group, [("hook", 1)])
    writer.started.wait()
    rest, threads = _submit_all(group, [("hook", 12), ("hook", 13), ("hook", 14)])
    _queued(group, 3)
    writer.release.set()
    for t in first_threads + threads:
        t.join()
    assert first == {1: 10} and rest[12] == 120 and rest[14] == 140
    assert isinstance(rest[13], ValueError)
    assert sorted(writer.batches[1][1]) == [12, 13, 14]  # tried together first
    assert sorted(items[0] for _, items in writer.batches[2:]) == [12, 13, 14]


def test_an_error_alone_reaches_its_caller() -> None:
    writer = Writer()
    writer.release.set()
    group: GroupCommit[str, int, int] = GroupCommit(writer, lambda items, item: True)
    with pytest.raises(ValueError, match="thirteen"):
        group.submit("hook", 13)
    assert group.submit("hook", 2) == 20
