"""The receive buffer: bytes received but not yet turned into events.

Searches remember how far they already looked, so bytes trickling in one at a
time cost time proportional to the new bytes, never a rescan of the buffer.
Deleting from the front of a ``bytearray`` is cheap in CPython, so consumed
bytes are dropped eagerly.

A ``bytes`` object that arrives while the buffer is empty is kept as it is
(``_whole``) until something needs to look inside it, so a body read that
takes all of it hands the very same object on: no copy at all.
"""

from typing import Optional

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer:
    __slots__ = ("_data", "_whole", "_searched")

    def __init__(self) -> None:
        self._data = bytearray()
        self._whole: Optional[bytes] = None
        # How far a pending search for a terminator has already looked.
        self._searched = 0

    def __iadd__(self, data: bytes) -> "ReceiveBuffer":
        if self._whole is None and not self._data and type(data) is bytes:
            self._whole = data
        else:
            buf = self.raw()
            buf += data
        return self

    def raw(self) -> bytearray:
        """The buffered bytes as a bytearray that readers may inspect and trim."""
        if self._whole is not None:
            self._data += self._whole
            self._whole = None
        return self._data

    def __len__(self) -> int:
        if self._whole is not None:
            return len(self._whole) + len(self._data)
        return len(self._data)

    def __bool__(self) -> bool:
        return self._whole is not None or bool(self._data)

    def __bytes__(self) -> bytes:
        if self._whole is not None and not self._data:
            return self._whole
        return bytes(self.raw())

    @property
    def searched(self) -> int:
        """How many bytes the pending terminator search has already examined."""
        return self._searched

    def peek(self, n: int) -> bytes:
        return bytes(self.raw()[:n])

    def startswith(self, prefix: bytes) -> bool:
        if self._whole is not None:
            return self._whole.startswith(prefix)
        return self._data.startswith(prefix)

    def find(self, needle: bytes, start: int = 0) -> int:
        return self.raw().find(needle, start)

    def discard(self, n: int) -> None:
        del self.raw()[:n]
        self._searched = 0

    def take(self, n: int) -> bytes:
        """Remove and return up to ``n`` bytes from the front."""
        self._searched = 0
        whole = self._whole
        if whole is not None and not self._data:
            if n >= len(whole):
                self._whole = None
                return whole
            self._whole = None
            self._data += memoryview(whole)[n:]
            return whole[:n]
        data = self.raw()
        if n >= len(data):
            out = bytes(data)
            data.clear()
        else:
            out = bytes(data[:n])
            del data[:n]
        return out

    def take_all(self) -> bytes:
        return self.take(len(self))

    def take_until(self, terminator: bytes, keep: int = 0) -> Optional[bytes]:
        """Remove and return the bytes before ``terminator`` plus its first
        ``keep`` bytes, dropping the rest of the terminator.

        Returns None, remembering how far it looked, if the terminator has not
        arrived yet.
        """
        whole = self._whole
        data: "bytes | bytearray" = self._data if whole is None else whole
        start = self._searched - len(terminator) + 1
        idx = data.find(terminator, start if start > 0 else 0)
        if idx < 0:
            self._searched = len(data)
            return None
        end = idx + len(terminator)
        self._searched = 0
        if whole is not None:
            # Slices of bytes: no bytearray round trip for a message that came whole.
            self._whole = whole[end:] if end < len(whole) else None
            return whole[: idx + keep]
        out = bytes(self._data[: idx + keep])
        del self._data[:end]
        return out
