"""The state machines of one HTTP/1.1 connection.

Two machines, one per role, plus a keep-alive flag and the set of pending
protocol-switch proposals. Transitions come in two kinds, both given as data
here so that the docs can draw the diagrams from the same tables the code runs:

* event-triggered (:data:`EVENT_TRIGGERED`): role, state and event → state;
* state-triggered (:data:`STATE_TRIGGERED`): when the joint state of both
  machines is X, a machine moves; applied until nothing changes.
"""

from collections.abc import MutableMapping
from typing import AbstractSet, Any, Dict, Iterator, Optional, Tuple

from ._errors import LocalProtocolError, make_sentinel
from ._events import ConnectionClosed, Data, EndOfMessage, InformationalResponse, Request, Response

__all__ = [
    "CLIENT",
    "SERVER",
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "CLOSED",
    "MIGHT_SWITCH_PROTOCOL",
    "SWITCHED_PROTOCOL",
    "ERROR",
    "SWITCH_UPGRADE",
    "SWITCH_CONNECT",
    "EVENT_TRIGGERED",
    "STATE_TRIGGERED",
    "ConnectionState",
]

CLIENT = make_sentinel("CLIENT")
SERVER = make_sentinel("SERVER")

IDLE = make_sentinel("IDLE")
SEND_RESPONSE = make_sentinel("SEND_RESPONSE")
SEND_BODY = make_sentinel("SEND_BODY")
DONE = make_sentinel("DONE")
MUST_CLOSE = make_sentinel("MUST_CLOSE")
CLOSED = make_sentinel("CLOSED")
MIGHT_SWITCH_PROTOCOL = make_sentinel("MIGHT_SWITCH_PROTOCOL")
SWITCHED_PROTOCOL = make_sentinel("SWITCHED_PROTOCOL")
ERROR = make_sentinel("ERROR")

# The two kinds of protocol switch a client can propose.
SWITCH_UPGRADE = make_sentinel("SWITCH_UPGRADE")
SWITCH_CONNECT = make_sentinel("SWITCH_CONNECT")

# role -> state -> trigger -> new state. A trigger is an event type sent by the
# role itself, (event type, other role) for an event the other role sent, or
# (event type, switch kind) for a server event that accepts a proposed switch.
EVENT_TRIGGERED: Dict[object, Dict[object, Dict[object, object]]] = {
    CLIENT: {
        IDLE: {Request: SEND_BODY, ConnectionClosed: CLOSED},
        SEND_BODY: {Data: SEND_BODY, EndOfMessage: DONE},
        DONE: {ConnectionClosed: CLOSED},
        MUST_CLOSE: {ConnectionClosed: CLOSED},
        CLOSED: {ConnectionClosed: CLOSED},
        MIGHT_SWITCH_PROTOCOL: {},
        SWITCHED_PROTOCOL: {},
        ERROR: {},
    },
    SERVER: {
        IDLE: {
            ConnectionClosed: CLOSED,
            Response: SEND_BODY,  # e.g. 400 or 408 before any request arrived
            (Request, CLIENT): SEND_RESPONSE,
        },
        SEND_RESPONSE: {
            InformationalResponse: SEND_RESPONSE,
            Response: SEND_BODY,
            (InformationalResponse, SWITCH_UPGRADE): SWITCHED_PROTOCOL,
            (Response, SWITCH_CONNECT): SWITCHED_PROTOCOL,
        },
        SEND_BODY: {Data: SEND_BODY, EndOfMessage: DONE},
        DONE: {ConnectionClosed: CLOSED},
        MUST_CLOSE: {ConnectionClosed: CLOSED},
        CLOSED: {ConnectionClosed: CLOSED},
        SWITCHED_PROTOCOL: {},
        ERROR: {},
    },
}

# (client state, server state) -> {role: new state}. A side that could start
# another cycle must close instead once the other side has closed (or failed
# after a complete cycle); a client waiting on a switch follows the server.
STATE_TRIGGERED: Dict[Tuple[object, object], Dict[object, object]] = {
    (MIGHT_SWITCH_PROTOCOL, SWITCHED_PROTOCOL): {CLIENT: SWITCHED_PROTOCOL},
    (CLOSED, DONE): {SERVER: MUST_CLOSE},
    (CLOSED, IDLE): {SERVER: MUST_CLOSE},
    (ERROR, DONE): {SERVER: MUST_CLOSE},
    (DONE, CLOSED): {CLIENT: MUST_CLOSE},
    (IDLE, CLOSED): {CLIENT: MUST_CLOSE},
    (DONE, ERROR): {CLIENT: MUST_CLOSE},
}


class ConnectionState:
    """Both roles' states, the keep-alive flag and pending switch proposals,
    seen from ``our_role`` (which only decides what ``node.ours`` and
    ``node.theirs`` are).

    The joint situation is one interned :class:`_Joint` (``node``) that
    remembers where each event leads from it, so a transition seen before is
    one dictionary lookup. ``states`` is a live mapping view: writing to it
    moves the machine without applying state-triggered transitions.
    """

    __slots__ = ("node", "pending_switch_proposals")

    def __init__(self, our_role: object = CLIENT) -> None:
        self.node: _Joint = _FRESH[our_role]
        # A shared empty frozenset until the first proposal (then a set).
        self.pending_switch_proposals: AbstractSet[object] = NO_PROPOSALS

    @property
    def states(self) -> "_StatesView":
        """Each role's state, as a mapping that writes through."""
        return _StatesView(self)

    @property
    def keep_alive(self) -> bool:
        return self.node.keep_alive

    def process_error(self, role: object) -> None:
        node = self.node
        if role is CLIENT:
            self.node = node.moved(ERROR, node.server).settled()
        else:
            self.node = node.moved(node.client, ERROR).settled()

    def process_keep_alive_disabled(self) -> None:
        node = self.node
        after = node.keep_alive_off
        if after is None:
            after = node.keep_alive_off = _joint(
                node.our_role, node.client, node.server, False, node.no_switch
            ).settled()
        self.node = after

    def process_client_switch_proposal(self, kind: object) -> None:
        pending = self.pending_switch_proposals
        if type(pending) is not set:
            pending = self.pending_switch_proposals = set()
        pending.add(kind)  # type: ignore[attr-defined]
        node = self.node
        self.node = _joint(node.our_role, node.client, node.server, node.keep_alive, False).settled()

    def process_event(self, role: object, event_type: type, switch: object = None) -> None:
        node = self.node
        if switch is None:
            trigger: object = event_type
            if event_type is Response and not node.no_switch:
                # Any final response that is not an accepted switch denies
                # them all (even if it turns out to be illegal).
                self.pending_switch_proposals.clear()  # type: ignore[attr-defined]
                node = self.node = _joint(node.our_role, node.client, node.server, node.keep_alive, True)
        else:
            if switch not in self.pending_switch_proposals:
                raise LocalProtocolError(
                    f"the server accepted a protocol switch ({switch!r}) the client never proposed"
                )
            trigger = (event_type, switch)
        after = node.by_client if role is CLIENT else node.by_server
        try:
            self.node = after[trigger]
        except KeyError:
            self.node = after[trigger] = node.step(role, trigger)

    def start_next_cycle(self) -> None:
        node = self.node
        if node.client is not DONE or node.server is not DONE:
            raise LocalProtocolError(
                f"not in a reusable state ({node.client!r}/{node.server!r}): "
                "both sides must be DONE before start_next_cycle(); otherwise close the connection"
            )
        # Keep-alive off or a pending switch would have moved a settled
        # machine off DONE.
        if node.keep_alive and node.no_switch:
            self.node = _FRESH[node.our_role]
        else:
            self.node = node.moved(IDLE, IDLE)


NO_PROPOSALS: AbstractSet[object] = frozenset()


class _Joint:
    """One joint situation of a connection: both states, the keep-alive
    flag and whether no switch is pending; plus, for the role the
    connection plays, which state is ours and which theirs.

    Interned (:func:`_joint`), immutable but for the memos: ``by_client``
    and ``by_server`` map a trigger (as in EVENT_TRIGGERED) sent by that
    role to the settled situation it leads to; ``by_ours`` and
    ``by_theirs`` are the same two maps, by whose role sent it.
    ``next_cycle`` is where start_next_cycle leads from a situation that
    allows one (both DONE, keep-alive on, no switch pending), else None.
    """

    __slots__ = (
        "our_role",
        "client",
        "server",
        "keep_alive",
        "no_switch",
        "ours",
        "theirs",
        "by_client",
        "by_server",
        "by_ours",
        "by_theirs",
        "keep_alive_off",
        "next_cycle",
    )

    def __init__(self, our_role: object, client: object, server: object, keep_alive: bool, no_switch: bool) -> None:
        self.our_role = our_role
        self.client = client
        self.server = server
        self.keep_alive = keep_alive
        self.no_switch = no_switch
        self.by_client: Dict[object, _Joint] = {}
        self.by_server: Dict[object, _Joint] = {}
        if our_role is CLIENT:
            self.ours, self.theirs = client, server
            self.by_ours, self.by_theirs = self.by_client, self.by_server
        else:
            self.ours, self.theirs = server, client
            self.by_ours, self.by_theirs = self.by_server, self.by_client
        self.keep_alive_off: Optional[_Joint] = None
        self.next_cycle: Optional[_Joint] = None
        if client is DONE and server is DONE and keep_alive and no_switch:
            self.next_cycle = _joint(our_role, IDLE, IDLE, True, True)

    def __repr__(self) -> str:
        return (
            f"<_Joint client={self.client!r} server={self.server!r} "
            f"keep_alive={self.keep_alive} no_switch={self.no_switch}>"
        )

    def moved(self, client: object, server: object) -> "_Joint":
        """This situation with other states (not settled)."""
        return _joint(self.our_role, client, server, self.keep_alive, self.no_switch)

    def settled(self) -> "_Joint":
        """After every state-triggered transition."""
        client, server = _settled(self.client, self.server, self.keep_alive, self.no_switch)
        return self.moved(client, server)

    def step(self, role: object, trigger: Any) -> "_Joint":
        """Where ``role`` sending ``trigger`` leads; raises LocalProtocolError if illegal."""
        client, server = _step(role, trigger, self.client, self.server, self.keep_alive, self.no_switch)
        return self.moved(client, server)


_JOINTS: Dict[Tuple[object, object, object, bool, bool], _Joint] = {}


def _joint(our_role: object, client: object, server: object, keep_alive: bool, no_switch: bool) -> _Joint:
    key = (our_role, client, server, keep_alive, no_switch)
    node = _JOINTS.get(key)
    if node is None:
        node = _JOINTS[key] = _Joint(*key)
    return node


# Where every connection starts (and a reused one starts again).
_FRESH: Dict[object, _Joint] = {role: _joint(role, IDLE, IDLE, True, True) for role in (CLIENT, SERVER)}
fresh_situation = _FRESH.__getitem__


class _StatesView(MutableMapping):
    """``ConnectionState.states``: role -> state, writing through."""

    __slots__ = ("_cs",)

    def __init__(self, cs: ConnectionState) -> None:
        self._cs = cs

    def __getitem__(self, role: object) -> object:
        node = self._cs.node
        if role is CLIENT:
            return node.client
        if role is SERVER:
            return node.server
        raise KeyError(role)

    def __setitem__(self, role: object, state: object) -> None:
        node = self._cs.node
        if role is CLIENT:
            self._cs.node = node.moved(state, node.server)
        elif role is SERVER:
            self._cs.node = node.moved(node.client, state)
        else:
            raise KeyError(role)

    def __delitem__(self, role: object) -> None:
        raise TypeError("both roles always have a state")

    def __iter__(self) -> Iterator[object]:
        return iter((CLIENT, SERVER))

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return repr(dict(self))


def _step(
    role: object, trigger: Any, client: object, server: object, keep_alive: bool, no_switch: bool
) -> Tuple[object, object]:
    """The states after ``role`` sends an event (``trigger`` as in
    EVENT_TRIGGERED) and they settle; raises LocalProtocolError if illegal."""
    event_type = trigger[0] if type(trigger) is tuple else trigger
    state = client if role is CLIENT else server
    new = EVENT_TRIGGERED[role][state].get(trigger)
    if new is None:
        raise LocalProtocolError(
            f"can't handle event type {event_type.__name__} when role={role!r} and state={state!r}"
        )
    if role is CLIENT:
        client = new
    else:
        server = new
    if event_type is Request:
        new = EVENT_TRIGGERED[SERVER][server].get((Request, CLIENT))
        if new is None:
            raise LocalProtocolError(f"a request arrived while the server is in state {server!r}")
        server = new
    return _settled(client, server, keep_alive, no_switch)


def _settled(client: object, server: object, keep_alive: bool, no_switch: bool) -> Tuple[object, object]:
    """Apply state-triggered transitions until nothing changes."""
    while True:
        before = (client, server)
        if not no_switch:
            if client is DONE:
                client = MIGHT_SWITCH_PROTOCOL
        elif client is MIGHT_SWITCH_PROTOCOL:
            client = DONE
        if not keep_alive:
            if client is DONE:
                client = MUST_CLOSE
            if server is DONE:
                server = MUST_CLOSE
        changes = STATE_TRIGGERED.get((client, server))
        if changes:
            client = changes.get(CLIENT, client)
            server = changes.get(SERVER, server)
        if (client, server) == before:
            return before
