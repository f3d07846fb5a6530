"""Process settings of the batch commands: the collector comes back as it was, Arrow uses the system allocator."""

from __future__ import annotations

import gc

import pyarrow as pa
import pytest

from whitelist.core.runtime import cycle_collection_paused, reuse_freed_memory


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_restored_after_even_on_error(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), cycle_collection_paused():
            assert not gc.isenabled()
            raise RuntimeError("a failed run")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_arrow_buffers_come_from_the_system_allocator() -> None:
    before = pa.default_memory_pool()
    try:
        reuse_freed_memory()
        assert pa.default_memory_pool().backend_name == "system"
        assert pa.array(["a", "b"]).to_pylist() == ["a", "b"]
    finally:
        pa.set_memory_pool(before)
