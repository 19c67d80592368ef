"""Run chunks of draws on threads, in order (NumPy releases the GIL in its kernels)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")


def map_in_order(
    function: Callable[[Chunk], Result], chunks: Iterable[Chunk], workers: int
) -> Iterator[Result]:
    """Apply ``function`` to chunks on ``workers`` threads, yielding results in chunk order.

    NumPy releases the GIL inside its kernels, so threads use both cores; at
    most ``workers`` chunks are in flight, which bounds memory. Results do not
    depend on the number of workers (chunks are sampled in order first).
    """
    if workers <= 1:
        yield from map(function, chunks)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[Result]] = deque()
        for values in chunks:
            pending.append(pool.submit(function, values))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
