"""The state machines of one HTTP/1.1 connection.

Two machines, one per role, plus a keep-alive flag and the set of pending
protocol-switch proposals. Transitions come in two kinds, both given as data
here so that the docs can draw the diagrams from the same tables the code runs:

* event-triggered (:data:`EVENT_TRIGGERED`): role, state and event → state;
* state-triggered (:data:`STATE_TRIGGERED`): when the joint state of both
  machines is X, a machine moves; applied until nothing changes.

These two tables are the only statement of the rules. At import, every
joint situation of a connection is made once (:class:`_Joint`) and every
legal transition between them worked out from the tables, so that a
connection moves by one dictionary lookup, and what is not in the graph is
illegal (:func:`moved_by` then raises what the tables say). Nothing in the
graph changes after import. The functions below (:func:`moved_by`,
:func:`after_event`, :func:`after_proposal`, :func:`after_error`,
:func:`after_keep_alive_off`, :func:`after_cycle`) are every change a
situation can undergo; :class:`Connection <txh11.Connection>` and
:class:`ConnectionState` both use them.
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
        self.node: _Joint = fresh_situation(our_role)
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
        self.node = after_error(self.node, role)

    def process_keep_alive_disabled(self) -> None:
        self.node = after_keep_alive_off(self.node)

    def process_client_switch_proposal(self, kind: object) -> None:
        self.node, self.pending_switch_proposals = after_proposal(self.node, self.pending_switch_proposals, kind)

    def process_event(self, role: object, event_type: type, switch: object = None) -> None:
        self.node, self.pending_switch_proposals = after_event(
            self.node, self.pending_switch_proposals, role, event_type, switch
        )

    def start_next_cycle(self) -> None:
        self.node = after_cycle(self.node)


NO_PROPOSALS: AbstractSet[object] = frozenset()


class _Joint:
    """One joint situation of a connection: both states, the keep-alive
    flag and whether no switch is pending; plus, for the role the
    connection plays, which state is ours and which theirs.

    Interned (:func:`_joint`) and complete once the module is imported
    (:func:`_build`): ``by_client`` and ``by_server`` map every legal
    trigger (as in EVENT_TRIGGERED) sent by that role to the settled
    situation it leads to; ``by_ours`` and ``by_theirs`` are the same two
    maps, by whose role sent it. ``keep_alive_off`` is the situation with
    keep-alive off, ``switches_denied`` the one with no switch pending,
    ``errored_by`` the one after a role's error, and ``next_cycle`` where
    start_next_cycle leads from a situation that allows one (both DONE,
    keep-alive on, no switch pending), else None.
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
        "switches_denied",
        "with_proposal",
        "errored_by",
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
        # (filled in by _build)
        self.keep_alive_off: _Joint = self
        self.switches_denied: _Joint = self
        self.with_proposal: _Joint = self
        self.errored_by: Dict[object, _Joint] = {}
        self.next_cycle: Optional[_Joint] = None

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


def _build() -> None:
    """Make every situation and work out every transition from the tables."""
    states = {role: list(EVENT_TRIGGERED[role]) for role in (CLIENT, SERVER)}
    # what each role may send: a trigger (Request, CLIENT) is the server's
    # side of the client's request, which _step applies with it
    triggers = {
        role: {t for table in EVENT_TRIGGERED[role].values() for t in table if not (type(t) is tuple and t[1] in (CLIENT, SERVER))}
        for role in (CLIENT, SERVER)
    }
    for our_role in (CLIENT, SERVER):
        for client in states[CLIENT]:
            for server in states[SERVER]:
                for keep_alive in (True, False):
                    for no_switch in (True, False):
                        _joint(our_role, client, server, keep_alive, no_switch)
    for node in list(_JOINTS.values()):
        _fill(node, triggers)
    assert len(_JOINTS) == 2 * len(states[CLIENT]) * len(states[SERVER]) * 4  # nothing new was reached


def _fill(node: _Joint, triggers: Dict[object, Any]) -> None:
    """Work out where each trigger and change leads from ``node``."""
    for role, after in ((CLIENT, node.by_client), (SERVER, node.by_server)):
        for trigger in triggers[role]:
            try:
                after[trigger] = node.step(role, trigger)
            except LocalProtocolError:
                pass  # illegal: not in the graph
    node.keep_alive_off = _joint(node.our_role, node.client, node.server, False, node.no_switch).settled()
    node.switches_denied = _joint(node.our_role, node.client, node.server, node.keep_alive, True)
    node.with_proposal = _joint(node.our_role, node.client, node.server, node.keep_alive, False).settled()
    node.errored_by = {
        CLIENT: node.moved(ERROR, node.server).settled(),
        SERVER: node.moved(node.client, ERROR).settled(),
    }
    if node.client is DONE and node.server is DONE and node.keep_alive and node.no_switch:
        node.next_cycle = _joint(node.our_role, IDLE, IDLE, True, True)




def moved_by(node: _Joint, role: object, trigger: Any) -> _Joint:
    """Where ``role`` sending ``trigger`` leads from ``node``; raises
    LocalProtocolError if the tables do not allow it."""
    after = (node.by_client if role is CLIENT else node.by_server).get(trigger)
    if after is None:
        node.step(role, trigger)  # raises, saying why
        raise AssertionError(f"{trigger!r} by {role!r} from {node!r} is legal but not in the graph")
    return after


def after_event(
    node: _Joint, pending: AbstractSet[object], role: object, event_type: type, switch: object = None
) -> Tuple[_Joint, AbstractSet[object]]:
    """``(node, pending proposals)`` after ``role`` sent an event of
    ``event_type``; ``switch`` is the proposal a server event accepts."""
    if switch is None:
        trigger: object = event_type
        if event_type is Response and not node.no_switch:
            # Any final response that is not an accepted switch denies
            # them all (even if it turns out to be illegal).
            node, pending = node.switches_denied, NO_PROPOSALS
    else:
        if switch not in pending:
            raise LocalProtocolError(
                f"the server accepted a protocol switch ({switch!r}) the client never proposed"
            )
        trigger = (event_type, switch)
    return moved_by(node, role, trigger), pending


def after_proposal(node: _Joint, pending: AbstractSet[object], kind: object) -> Tuple[_Joint, AbstractSet[object]]:
    """``(node, pending proposals)`` after the client proposed a switch of ``kind``."""
    return node.with_proposal, frozenset(pending | {kind})


def after_error(node: _Joint, role: object) -> _Joint:
    return node.errored_by[role]


def after_keep_alive_off(node: _Joint) -> _Joint:
    return node.keep_alive_off


def after_cycle(node: _Joint) -> _Joint:
    """Where start_next_cycle leads; raises LocalProtocolError unless both are DONE."""
    if node.client is not DONE or node.server is not DONE:
        raise LocalProtocolError(
            f"not in a reusable state ({node.client!r}/{node.server!r}): "
            "both sides must be DONE before start_next_cycle(); otherwise close the connection"
        )
    # Keep-alive off or a pending switch would have moved a settled
    # machine off DONE.
    return node.next_cycle or node.moved(IDLE, IDLE)


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


_build()

# Where every connection starts (and a reused one starts again).
_FRESH: Dict[object, _Joint] = {role: _joint(role, IDLE, IDLE, True, True) for role in (CLIENT, SERVER)}
fresh_situation = _FRESH.__getitem__
