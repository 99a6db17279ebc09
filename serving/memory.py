"""Large blocks straight from the OS and back to it (glibc), so memory comes back after a burst.

glibc raises its mmap threshold each time a large mapped block is freed (up to 32 MB); from
then on image-sized arrays come from per-thread heaps that it keeps. Measured: 16 requests
with a 6000x4000 PNG, 8 at a time, left the server at about 1 GB for good. A fixed threshold
keeps every block of 1 MB or more mapped, so it goes back to the OS when freed (and the heaps
stay small). Elsewhere (musl, macOS) there is nothing to set.
"""

from __future__ import annotations

import ctypes
import platform

M_MMAP_THRESHOLD = -3  # from <malloc.h>
LARGE = 1 << 20


def map_large_blocks(threshold: int = LARGE) -> bool:
    """Serve allocations of ``threshold`` bytes or more with mmap; True when set (glibc)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    return bool(ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, threshold))
