"""The receive buffer: bytes received but not yet turned into events.

Searches remember how far they already looked, so bytes trickling in one at a
time cost time proportional to the new bytes, never a rescan of the buffer.
Deleting from the front of a ``bytearray`` is cheap in CPython, so consumed
bytes are dropped eagerly.
"""

from typing import Optional

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer:
    __slots__ = ("_data", "_searched")

    def __init__(self) -> None:
        self._data = bytearray()
        # How far a pending search for a terminator has already looked.
        self._searched = 0

    def __iadd__(self, data: bytes) -> "ReceiveBuffer":
        self._data += data
        return self

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __bytes__(self) -> bytes:
        return bytes(self._data)

    @property
    def searched(self) -> int:
        """How many bytes the pending terminator search has already examined."""
        return self._searched

    def peek(self, n: int) -> bytes:
        return bytes(self._data[:n])

    def startswith(self, prefix: bytes) -> bool:
        return self._data.startswith(prefix)

    def find(self, needle: bytes, start: int = 0) -> int:
        return self._data.find(needle, start)

    def discard(self, n: int) -> None:
        del self._data[:n]
        self._searched = 0

    def take(self, n: int) -> bytes:
        """Remove and return up to ``n`` bytes from the front."""
        data = self._data
        if n >= len(data):
            out = bytes(data)
            data.clear()
        else:
            out = bytes(data[:n])
            del data[:n]
        self._searched = 0
        return out

    def take_all(self) -> bytes:
        out = bytes(self._data)
        self._data.clear()
        self._searched = 0
        return out

    def take_until(self, terminator: bytes, keep: int = 0) -> Optional[bytes]:
        """Remove and return the bytes before ``terminator`` plus its first
        ``keep`` bytes, dropping the rest of the terminator.

        Returns None, remembering how far it looked, if the terminator has not
        arrived yet.
        """
        data = self._data
        start = self._searched - len(terminator) + 1
        idx = data.find(terminator, start if start > 0 else 0)
        if idx < 0:
            self._searched = len(data)
            return None
        out = bytes(data[: idx + keep])
        del data[: idx + len(terminator)]
        self._searched = 0
        return out
