"""The receive buffer: bytes received but not yet turned into events.

Searches remember how far they already looked, so bytes trickling in one at a
time cost time proportional to the new bytes, never a rescan of the buffer.
Deleting from the front of a ``bytearray`` is cheap in CPython, so consumed
bytes are dropped eagerly.

A ``bytes`` object that arrives while the buffer is empty is kept as it is
(``_whole``) until something needs to look inside it, so a body read that
takes all of it hands the very same object on: no copy at all.
"""

from typing import Any, Optional

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer:
    """Bytes received and not yet consumed.

    The slots are read directly by the readers in this package (a method
    call or a dunder on every event would cost more than the work itself):
    the content is ``whole`` if that is not None, else ``data``; the two are
    never both in use (``whole`` is set only while ``data`` is empty).
    """

    __slots__ = ("data", "whole", "searched", "memo_bytes", "memo_event")

    def __init__(self) -> None:
        self.data = bytearray()
        self.whole: Optional[bytes] = None
        # How far a pending search for a terminator has already looked.
        self.searched = 0
        # A message that arrived alone in one piece, and the event a reader
        # made of it (for the reader to reuse when the same bytes come again).
        self.memo_bytes = b""
        self.memo_event: Any = None

    def add(self, data: bytes) -> None:
        if self.whole is None and not self.data and type(data) is bytes:
            self.whole = data
        else:
            buf = self.raw()
            buf += data

    def raw(self) -> bytearray:
        """The buffered bytes as a bytearray that readers may inspect and trim."""
        whole = self.whole
        if whole is not None:
            self.data += whole
            self.whole = None
        return self.data

    def __len__(self) -> int:
        whole = self.whole
        return len(self.data) if whole is None else len(whole)

    def __bool__(self) -> bool:
        return self.whole is not None or bool(self.data)

    def __bytes__(self) -> bytes:
        whole = self.whole
        return bytes(self.data) if whole is None else whole

    def peek(self, n: int) -> bytes:
        whole = self.whole
        return bytes(self.data[:n]) if whole is None else whole[:n]

    def startswith(self, prefix: bytes) -> bool:
        whole = self.whole
        return self.data.startswith(prefix) if whole is None else whole.startswith(prefix)

    def find(self, needle: bytes, start: int = 0) -> int:
        whole = self.whole
        return self.data.find(needle, start) if whole is None else whole.find(needle, start)

    def discard(self, n: int) -> None:
        del self.raw()[:n]
        self.searched = 0

    def take(self, n: int) -> bytes:
        """Remove and return up to ``n`` bytes from the front."""
        self.searched = 0
        whole = self.whole
        if whole is not None:
            self.whole = None
            if n >= len(whole):
                return whole
            self.data += memoryview(whole)[n:]
            return whole[:n]
        data = self.data
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
        whole = self.whole
        data: "bytes | bytearray" = self.data if whole is None else whole
        start = self.searched - len(terminator) + 1
        idx = data.find(terminator, start if start > 0 else 0)
        if idx < 0:
            self.searched = len(data)
            return None
        end = idx + len(terminator)
        self.searched = 0
        if whole is not None:
            # Slices of bytes: no bytearray round trip for a message that came whole.
            self.whole = whole[end:] if end < len(whole) else None
            return whole[: idx + keep]
        out = bytes(self.data[: idx + keep])
        del self.data[:end]
        return out

    def take_head(self) -> Optional[bytes]:
        """Remove and return a message head: the lines up to and including
        the CRLF that ends the last one; the empty line after them is
        dropped, and so are empty lines before the head (RFC 9112 2.2).

        Returns None, remembering how far it looked, if the head has not
        ended yet (empty lines before it are left for the caller to drop).
        """
        whole = self.whole
        data: "bytes | bytearray" = self.data if whole is None else whole
        start = self.searched - 3
        idx = data.find(b"\r\n\r\n", start if start > 0 else 0)
        if idx < 0:
            self.searched = len(data)
            return None
        if data[0] == 13 and data[1] == 10:  # empty lines first
            while self.startswith(b"\r\n"):
                self.discard(2)
            return self.take_head()
        self.searched = 0
        end = idx + 4
        if whole is not None:
            self.whole = whole[end:] if end < len(whole) else None
            return whole[: idx + 2]
        out = bytes(self.data[: idx + 2])
        del self.data[:end]
        return out
