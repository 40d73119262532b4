"""The state machines of one HTTP/1.1 connection.

Two machines, one per role, plus a keep-alive flag and the set of pending
protocol-switch proposals. Transitions come in two kinds, both given as data
here so that the docs can draw the diagrams from the same tables the code runs:

* event-triggered (:data:`EVENT_TRIGGERED`): role, state and event → state;
* state-triggered (:data:`STATE_TRIGGERED`): when the joint state of both
  machines is X, a machine moves; applied until nothing changes.
"""

from typing import Any, Dict, Set, Tuple

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
    """Both roles' states, the keep-alive flag and pending switch proposals."""

    __slots__ = ("states", "keep_alive", "pending_switch_proposals")

    def __init__(self) -> None:
        self.states: Dict[object, object] = {CLIENT: IDLE, SERVER: IDLE}
        self.keep_alive = True
        self.pending_switch_proposals: Set[object] = set()

    def process_error(self, role: object) -> None:
        self.states[role] = ERROR
        self._settle()

    def process_keep_alive_disabled(self) -> None:
        self.keep_alive = False
        self._settle()

    def process_client_switch_proposal(self, kind: object) -> None:
        self.pending_switch_proposals.add(kind)
        self._settle()

    def process_event(self, role: object, event_type: type, switch: object = None) -> None:
        pending = self.pending_switch_proposals
        if switch is None:
            trigger: object = event_type
            if event_type is Response:
                # Any final response that is not an accepted switch denies them all.
                pending.clear()
        else:
            if switch not in pending:
                raise LocalProtocolError(
                    f"the server accepted a protocol switch ({switch!r}) the client never proposed"
                )
            trigger = (event_type, switch)
        states = self.states
        key = (role, trigger, states[CLIENT], states[SERVER], self.keep_alive, not pending)
        moved = _STEPS.get(key)
        if moved is None:
            moved = _STEPS[key] = _step(*key)
        states[CLIENT], states[SERVER] = moved

    def _settle(self) -> None:
        states = self.states
        client = states[CLIENT]
        server = states[SERVER]
        keep_alive = self.keep_alive
        no_switch = not self.pending_switch_proposals
        # Mid-cycle on a keep-alive connection nothing can move: skip the memo.
        if (
            keep_alive
            and no_switch
            and client is not MIGHT_SWITCH_PROTOCOL
            and (client, server) not in STATE_TRIGGERED
        ):
            return
        key = (client, server, keep_alive, no_switch)
        settled = _SETTLED.get(key)
        if settled is None:
            settled = _SETTLED[key] = _settled(*key)
        states[CLIENT], states[SERVER] = settled

    def start_next_cycle(self) -> None:
        if self.states[CLIENT] is not DONE or self.states[SERVER] is not DONE:
            raise LocalProtocolError(
                f"not in a reusable state ({self.states[CLIENT]!r}/{self.states[SERVER]!r}): "
                "both sides must be DONE before start_next_cycle(); otherwise close the connection"
            )
        # Keep-alive off or a pending switch would have moved us off DONE.
        self.states[CLIENT] = IDLE
        self.states[SERVER] = IDLE


# (role, trigger, client state, server state, keep_alive, no switch pending)
# -> the states after the event and every state-triggered transition it
# causes: like _SETTLED, each legal step is worked out once per process.
_STEPS: Dict[Tuple[object, object, object, object, bool, bool], Tuple[object, object]] = {}


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


# (client state, server state, keep_alive, no switch pending) -> the states
# after every state-triggered transition: filled in on first use, so each
# joint situation runs _settled() once per process.
_SETTLED: Dict[Tuple[object, object, bool, bool], Tuple[object, object]] = {}


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
