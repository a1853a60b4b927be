"""Where the scan's working memory comes from.

Every chunk allocates and frees a few MB of Arrow arrays, so the allocator decides how much of a
scan's time goes to the kernel zeroing fresh pages, and whether memory stays flat on a long file.

- pyarrow's default pool (mimalloc) kept taking fresh transparent huge pages for those arrays,
  and the kernel spent a share of the scan zeroing them. glibc's malloc (`SYSTEM_POOL`) reuses the
  memory just freed.
- glibc raises its mmap threshold each time a large block is freed, after which blocks of a few
  MB come from the heap and fragment it: peak RSS rose through a long file. A fixed threshold
  keeps it flat (`bench_memory.py`: a 200 MB and a 2 GB file peak alike).
- With the threshold fixed, glibc gives the top of the heap back to the kernel as soon as 128 KB
  of it is free, and the next chunk faults those pages in again. Keeping up to
  TRIM_THRESHOLD_BYTES there costs almost no memory and makes scans faster.
Figures for each: benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import ctypes

import pyarrow as pa

SYSTEM_POOL = pa.system_memory_pool()

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt(3)
MMAP_THRESHOLD_BYTES = 4 << 20
TRIM_THRESHOLD_BYTES = 64 << 20


def fix_mmap_threshold() -> None:
    """Blocks of MMAP_THRESHOLD_BYTES or more are mapped and unmapped, never kept in the heap;
    up to TRIM_THRESHOLD_BYTES freed at the heap's top stay for the next chunk. glibc only;
    elsewhere nothing changes."""
    with contextlib.suppress(OSError, AttributeError):
        # The symbols already loaded, libc's among them (`find_library` would run ldconfig).
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)


fix_mmap_threshold()
