"""Doubles in shared memory that can be handed to an unrelated process as a file descriptor.

Worker processes count events and CPU seconds per rule into such a block. A block made after the engine's
process started threads still reaches workers forked from a template process: its descriptor goes over
a socket (a memfd has no name to leak and disappears with its last descriptor).
"""

from __future__ import annotations

import mmap
import os

_DOUBLE = 8


class SharedDoubles:
    """``length`` doubles, zero at first; index and assign them like a list."""

    def __init__(self, length: int, fd: int | None = None) -> None:
        self.length = length
        size = max(1, length) * _DOUBLE
        if fd is None:
            fd = os.memfd_create("onca-detection-counters", os.MFD_CLOEXEC)
            os.ftruncate(fd, size)
        self.fd = fd
        self._map = mmap.mmap(fd, size)
        self._view = memoryview(self._map).cast("d")
        self.view = self._view[:length]  # for hot loops: indexing a memoryview costs no Python call

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> float:
        return self._view[index]

    def __setitem__(self, index: int, value: float) -> None:
        self._view[index] = value

    def values(self) -> list[float]:
        return self._view[: self.length].tolist()

    def close(self) -> None:
        os.close(self.fd)
        try:
            self.view.release()
            self._view.release()
            self._map.close()
        except BufferError:  # a view of it is still held somewhere: the mapping goes when that does
            pass
