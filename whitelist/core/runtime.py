"""Process settings for the batch commands: how freed memory is reused, when Python looks for cycles.

A scoring run allocates and frees hundreds of megabytes per phase (feature columns, the model
matrix, text columns) and holds millions of small Python objects in object arrays. Neither
setting changes a result; both remove work that finds nothing (docs/decisions.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def reuse_freed_memory() -> None:
    """Arrow's buffers from the C library's allocator, which keeps freed memory for the next buffer.

    pyarrow's default allocator, mimalloc, hands freed pages back to the kernel at once, and the
    next large buffer gets fresh pages that the kernel must zero again: at 200,000 enterprises
    that zeroing was a fifth of a score run's CPU time. Process-wide, so the CLI calls it once.
    """
    import pyarrow as pa

    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, as it was afterwards.

    Every full collection walks each element of every object array the run holds (codes,
    names, reason texts: millions of strings) and finds no garbage, since the run makes no
    reference cycles of any size; reference counting frees everything as before. About a second
    of CPU at 200,000 enterprises. Cycles made meanwhile are collected once the collector is back.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
