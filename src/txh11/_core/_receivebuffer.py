"""The receive buffer: bytes received but not yet turned into events.

Searches remember how far they already looked, so bytes trickling in one at a
time cost time proportional to the new bytes, never a rescan of the buffer.
Deleting from the front of a ``bytearray`` is cheap in CPython, so consumed
bytes are dropped eagerly.

A ``bytes`` object that arrives while the buffer is empty is kept as it is
(``whole``), with an offset (``start``) that advances as its front is
consumed: a head, a chunk header or part of a body taken from it costs a
slice of what is taken and nothing for the rest, and a body read that takes
all of it hands the very same object on: no copy at all. Only when more
bytes arrive before it is used up does the rest move into a ``bytearray``.
"""

from typing import Any, Optional

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer:
    """Bytes received and not yet consumed.

    The slots are read directly by the readers in this package (a method
    call or a dunder on every event would cost more than the work itself):
    the content is ``whole[start:]`` if ``whole`` is not None (never empty
    then), else ``data``; the two are never both in use (``whole`` is set
    only while ``data`` is empty).
    """

    __slots__ = ("data", "whole", "start", "searched", "memo_bytes", "memo_event")

    def __init__(self) -> None:
        self.data = bytearray()
        self.whole: Optional[bytes] = None
        self.start = 0
        # How far (from the start of the content) a pending search for a
        # terminator has already looked.
        self.searched = 0
        # A message that arrived alone in one piece, and the event a reader
        # made of it (for the reader to reuse when the same bytes come again).
        self.memo_bytes = b""
        self.memo_event: Any = None

    def append(self, data: Any) -> None:
        """Copy ``data`` (any bytes-like object) after the buffered bytes.

        A ``bytes`` object that arrives while the buffer is empty is not
        appended: the connection makes it ``whole`` itself (one call less
        per read).
        """
        buf = self.raw()
        buf += data

    def raw(self) -> bytearray:
        """The buffered bytes as a bytearray that readers may inspect and trim."""
        whole = self.whole
        if whole is not None:
            start = self.start
            self.data += memoryview(whole)[start:] if start else whole
            self.whole = None
            self.start = 0
        return self.data

    def __len__(self) -> int:
        whole = self.whole
        return len(self.data) if whole is None else len(whole) - self.start

    def peek(self, n: int) -> bytes:
        whole = self.whole
        if whole is None:
            return bytes(self.data[:n])
        start = self.start
        return whole[start : start + n]

    def startswith(self, prefix: bytes) -> bool:
        whole = self.whole
        if whole is None:
            return self.data.startswith(prefix)
        return whole.startswith(prefix, self.start)

    def find(self, needle: bytes, start: int = 0) -> int:
        whole = self.whole
        if whole is None:
            return self.data.find(needle, start)
        base = self.start
        idx = whole.find(needle, base + start)
        return idx - base if idx >= 0 else idx

    def discard(self, n: int) -> None:
        """Drop ``n`` bytes (at most all there are) from the front."""
        self.searched = 0
        whole = self.whole
        if whole is None:
            del self.data[:n]
            return
        start = self.start + n
        if start < len(whole):
            self.start = start
        else:
            self.whole = None
            self.start = 0

    def take(self, n: int) -> bytes:
        """Remove and return up to ``n`` bytes from the front."""
        self.searched = 0
        whole = self.whole
        if whole is not None:
            start = self.start
            end = start + n
            if end < len(whole):
                self.start = end
                return whole[start:end]
            self.whole = None
            self.start = 0
            return whole[start:] if start else whole
        data = self.data
        if n >= len(data):
            out = bytes(data)
            data.clear()
        else:
            out = bytes(memoryview(data)[:n])
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
        if whole is None:
            data = self.data
            start = self.searched - len(terminator) + 1
            idx = data.find(terminator, start if start > 0 else 0)
            if idx < 0:
                self.searched = len(data)
                return None
            self.searched = 0
            out = bytes(data[: idx + keep])
            del data[: idx + len(terminator)]
            return out
        base = self.start
        start = self.searched - len(terminator) + 1
        idx = whole.find(terminator, base + start if start > 0 else base)
        if idx < 0:
            self.searched = len(whole) - base
            return None
        self.searched = 0
        end = idx + len(terminator)
        if end < len(whole):
            self.start = end
        else:
            self.whole = None
            self.start = 0
        return whole[base : idx + keep]

    def take_head(self) -> Optional[bytes]:
        """Remove and return a message head: the lines up to and including
        the CRLF that ends the last one; the empty line after them is
        dropped.

        Returns None, remembering how far it looked, if the head has not
        ended yet; ``b""``, consuming nothing, if the buffer starts with an
        empty line.
        """
        whole = self.whole
        if whole is None:
            data = self.data
            start = self.searched - 3
            idx = data.find(b"\r\n\r\n", start if start > 0 else 0)
            if idx < 0:
                self.searched = len(data)
                return None
            if data[0] == 13 and data[1] == 10:  # an empty line first
                return b""
            self.searched = 0
            out = bytes(data[: idx + 2])
            del data[: idx + 4]
            return out
        base = self.start
        start = self.searched - 3
        idx = whole.find(b"\r\n\r\n", base + start if start > 0 else base)
        if idx < 0:
            self.searched = len(whole) - base
            return None
        if whole[base] == 13 and whole[base + 1] == 10:
            return b""
        self.searched = 0
        end = idx + 4
        if end < len(whole):
            self.start = end
        else:
            self.whole = None
            self.start = 0
        return whole[base : idx + 2] if base else whole[: idx + 2]

