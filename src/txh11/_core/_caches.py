"""Every cache of the core, in one module.

Each is a plain dict (or set) at module level, shared by every connection of
the process, and bounded: :func:`remember` empties one that is full before
adding to it (the same few keys come back at once), and the ones keyed by
bytes from the network take only keys up to a length.  What they hold never
changes once stored (bytes, tuples, immutable :class:`~txh11.Headers`, head
readers that hold only their settings).

Threads: the caches are used only through single dict operations (``get``,
``in``, item assignment, ``len``, ``clear``), each atomic under the GIL, and
a value is the same whichever thread computes it, so threads that each use
their own :class:`~txh11.Connection` may share them; the worst a race does
is empty a cache one entry early, or store an equal value twice.  (The state
machine's interned situations in ``_state`` are bounded by the finite set of
states, and remember transitions the same way.)
"""

from typing import Any, Dict, Set, Tuple

__all__ = ["remember"]


def remember(cache: Dict[Any, Any], limit: int, key: Any, value: Any) -> None:
    """Store ``value`` under ``key``, emptying ``cache`` first if it holds ``limit`` entries."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value


# -- header lists given by the user (_headers) ------------------------------

#: Host values already found valid (a server sees the same few over and over)
VALID_HOSTS: Set[bytes] = set()
VALID_HOSTS_LIMIT = 1024
#: raw name (bytes or str) -> (raw, lowercase) for names known to be tokens;
#: stops growing when full (names given by programs are few)
NAMES: Dict[Any, Tuple[bytes, bytes]] = {}
NAMES_LIMIT = 2048
#: (name, value) as given -> (raw name, (lowercase name, value))
PAIRS: Dict[Any, Any] = {}
PAIRS_LIMIT = 4096
#: tuple of the pairs as given -> their Headers (a server often answers with
#: equal header lists)
LISTS: Dict[tuple, Any] = {}
LISTS_LIMIT = 256

# -- what is received (_readers) --------------------------------------------

#: header line -> (raw name, (lowercase name, value)), for valid lines
LINES: Dict[bytes, Tuple[bytes, Tuple[bytes, bytes]]] = {}
LINES_LIMIT = 2048
LINES_MAX_LINE = 512
#: header block -> its Headers, for blocks of valid lines (a keep-alive client
#: repeats its block, many clients send the same one)
BLOCKS: Dict[bytes, Any] = {}
BLOCKS_LIMIT = 256
BLOCKS_MAX_BLOCK = 2048
#: request line -> (method, target, HTTP version), for valid lines
REQUEST_LINES: Dict[bytes, Tuple[bytes, bytes, bytes]] = {}
REQUEST_LINES_LIMIT = 1024
REQUEST_LINES_MAX_LINE = 1024
#: chunk-size line (extensions and all) -> the size, for valid lines
CHUNK_SIZES: Dict[bytes, int] = {}
CHUNK_SIZES_LIMIT = 256
CHUNK_SIZES_MAX_LINE = 64
#: size limit -> the head reader every server (request readers) or client
#: (response readers) connection with that limit shares
REQUEST_READERS: Dict[int, Any] = {}
RESPONSE_READERS: Dict[int, Any] = {}
HEAD_READERS_LIMIT = 64

# -- what is sent (_writers) ------------------------------------------------

#: body piece size -> its chunk-size line; stops growing when full
SIZE_LINES: Dict[int, bytes] = {}
SIZE_LINES_LIMIT = 1024
