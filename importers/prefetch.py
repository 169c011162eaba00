"""Reading and parsing (and readying the tickets as far as that needs no database) run one batch ahead of
writing, in a second thread.

Parsing is Python work; writing mostly waits for the database (SQLite's C code and the PostgreSQL server
run without the GIL). Overlapping them uses the second core: the less Python the writing side does
itself, the more of it overlaps the database's work. The queue holds at most DEPTH batches, so
memory stays bounded; an error on either side stops both, and the worker's error is raised in the caller.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator

DEPTH = 2
_DONE = object()
_POLL = 0.1  # seconds between checks of the stop flag while the queue is full


class ParsedAhead:
    """Iterates `work(item)` for each item of `items`, computed in a worker thread at most DEPTH ahead."""

    def __init__(self, items: Iterator[Any], work: Callable[[Any], Any]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items, work), name="import-parse", daemon=True)

    def _put(self, value: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(value, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator[Any], work: Callable[[Any], Any]) -> None:
        try:
            for item in items:
                if not self._put((work(item),)):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def __enter__(self) -> "ParsedAhead":
        self._thread.start()
        return self

    def __iter__(self) -> Iterator[Any]:
        while True:
            got = self._queue.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield got[0]

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
