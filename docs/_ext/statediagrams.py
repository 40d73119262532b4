"""Draw txh11's state machines from the code, at build time.

``.. state-diagram:: CLIENT`` (or ``SERVER``, or ``special``) draws a
diagram from the tables the core itself runs on:

* dark blue arcs, *event-triggered*: ``txh11._core._state.EVENT_TRIGGERED``;
* green arcs, *state-triggered*: ``txh11._core._state.STATE_TRIGGERED``, plus
  the transitions that the keep-alive flag and pending protocol-switch
  proposals cause, found by *running* ``ConnectionState`` (so nothing here is
  drawn by hand: if the code changes, the diagram changes);
* purple arcs: ``start_next_cycle()``, also found by running it.

The ``special`` diagram shows the keep-alive flag and the switch proposals,
found by running short scenarios through a real ``txh11.Connection``.

With Graphviz's ``dot`` on the PATH the diagrams are rendered by
``sphinx.ext.graphviz`` (SVG). Without it, each diagram becomes a table of
the same transitions, without a warning, so that ``sphinx-build -W`` passes
either way.
"""

from __future__ import annotations

import shutil
from typing import Any, Callable, Dict, List, Sequence, Tuple

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

EVENT = "event"
STATE = "state"
CYCLE = "cycle"

COLOURS = {EVENT: "#1f3f8f", STATE: "#1d7a3a", CYCLE: "#7a2a8f"}
KIND_NAMES = {
    EVENT: "event-triggered",
    STATE: "state-triggered",
    CYCLE: "start_next_cycle()",
}

Arc = Tuple[str, str, str, str]  # (from, to, label, kind)


def _core() -> Any:
    import txh11
    from txh11._core import _state

    return txh11, _state


def _name(obj: Any) -> str:
    return getattr(obj, "__name__", repr(obj))


def _switch_words(kind: Any) -> str:
    _, st = _core()
    return {st.SWITCH_UPGRADE: "accepts Upgrade", st.SWITCH_CONNECT: "accepts CONNECT"}.get(
        kind, f"accepts {_name(kind)}"
    )


def _trigger_label(role: Any, trigger: Any) -> str:
    _, st = _core()
    if isinstance(trigger, tuple):
        event, qualifier = trigger
        if qualifier in (st.CLIENT, st.SERVER):
            return f"{_name(event)} (sent by {_name(qualifier)})"
        return f"{_name(event)} ({_switch_words(qualifier)})"
    return _name(trigger)


def _all_states(role: Any) -> List[Any]:
    _, st = _core()
    return list(st.EVENT_TRIGGERED[role])


def event_arcs(role: Any) -> List[Arc]:
    _, st = _core()
    arcs = []
    for state, triggers in st.EVENT_TRIGGERED[role].items():
        for trigger, new in triggers.items():
            arcs.append((_name(state), _name(new), _trigger_label(role, trigger), EVENT))
    return arcs


def table_state_arcs(role: Any) -> List[Arc]:
    _, st = _core()
    other = st.SERVER if role is st.CLIENT else st.CLIENT
    arcs = []
    for (client_state, server_state), changes in st.STATE_TRIGGERED.items():
        if role in changes:
            mine = client_state if role is st.CLIENT else server_state
            theirs = server_state if role is st.CLIENT else client_state
            arcs.append((_name(mine), _name(changes[role]), f"{_name(other)} is {_name(theirs)}", STATE))
    return arcs


def _fresh(client_state: Any, server_state: Any) -> Any:
    _, st = _core()
    cs = st.ConnectionState()
    cs.states[st.CLIENT] = client_state
    cs.states[st.SERVER] = server_state
    return cs


def probed_state_arcs(role: Any) -> List[Arc]:
    """Transitions caused by the keep-alive flag and switch proposals, found
    by running ConnectionState from every pair of states where the table
    alone moves nothing."""
    _, st = _core()
    other = st.SERVER if role is st.CLIENT else st.CLIENT
    probes: List[Tuple[str, Callable[[Any], None]]] = [
        ("keep-alive disabled", lambda cs: cs.process_keep_alive_disabled()),
        (
            "client proposed a switch",
            lambda cs: cs.process_client_switch_proposal(st.SWITCH_UPGRADE),
        ),
    ]
    arcs = []
    for mine in _all_states(role):
        for theirs in _all_states(other):
            pair = (mine, theirs) if role is st.CLIENT else (theirs, mine)
            if pair in st.STATE_TRIGGERED or st.MIGHT_SWITCH_PROTOCOL in pair:
                continue
            if st.SWITCHED_PROTOCOL in pair or st.ERROR in pair:
                continue
            for label, probe in probes:
                cs = _fresh(*pair)
                probe(cs)
                new = cs.states[role]
                if new is not mine:
                    arcs.append((_name(mine), _name(new), label, STATE))
    # A final Response that accepts nothing clears the proposals: a client
    # waiting to switch goes back to DONE.
    if role is st.CLIENT:
        cs = _fresh(st.DONE, st.SEND_RESPONSE)
        cs.process_client_switch_proposal(st.SWITCH_UPGRADE)
        before = cs.states[st.CLIENT]
        cs.process_event(st.SERVER, _core()[0].Response)
        after = cs.states[st.CLIENT]
        if after is not before:
            arcs.append((_name(before), _name(after), "server sent a Response (switch denied)", STATE))
    return arcs


def cycle_arcs(role: Any) -> List[Arc]:
    _, st = _core()
    cs = _fresh(st.DONE, st.DONE)
    cs.start_next_cycle()
    return [(_name(st.DONE), _name(cs.states[role]), "start_next_cycle()", CYCLE)]


def role_arcs(role: Any) -> List[Arc]:
    seen = set()
    arcs = []
    for arc in event_arcs(role) + table_state_arcs(role) + probed_state_arcs(role) + cycle_arcs(role):
        if arc not in seen:
            seen.add(arc)
            arcs.append(arc)
    return arcs


def special_arcs() -> List[Arc]:
    """The keep-alive flag and the switch proposals, from scenarios run
    through a real Connection."""
    h11, st = _core()
    host = [("Host", "example.com")]
    arcs: List[Arc] = []

    def keep_alive(conn: Any) -> str:
        return "keep-alive enabled" if conn._node.keep_alive else "keep-alive disabled"

    def proposals(conn: Any) -> str:
        kinds = sorted(_name(k) for k in conn._pending)
        if conn.states[st.CLIENT] is st.SWITCHED_PROTOCOL:
            return "protocol switched"
        return "proposed: " + ", ".join(kinds) if kinds else "no switch proposed"

    def run(label: str, observe: Callable[[Any], str], role: Any, steps: Sequence[Any]) -> None:
        conn = h11.Connection(our_role=role)
        before = None
        for i, step in enumerate(steps):
            if i == len(steps) - 1:
                before = observe(conn)
            if isinstance(step, bytes):
                conn.receive_data(step)
                while conn.next_event() not in (h11.NEED_DATA, h11.PAUSED):
                    pass
            else:
                conn.send(step)
        after = observe(conn)
        if before != after:
            arc = (before, after, label, EVENT)
            if arc not in arcs:
                arcs.append(arc)

    req = h11.Request(method="GET", target="/", headers=host)
    close_req = h11.Request(method="GET", target="/", headers=host + [("Connection", "close")])
    run("Request with Connection: close", keep_alive, st.CLIENT, [close_req])
    run(
        "Response with Connection: close",
        keep_alive,
        st.SERVER,
        [b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", h11.Response(status_code=200, headers=[("Connection", "close")])],
    )
    run(
        "HTTP/1.0 peer without keep-alive",
        keep_alive,
        st.SERVER,
        [b"GET / HTTP/1.0\r\n\r\n"],
    )
    upgrade = h11.Request(method="GET", target="/", headers=host + [("Upgrade", "websocket"), ("Connection", "upgrade")])
    connect = h11.Request(method="CONNECT", target="example.com:443", headers=[("Host", "example.com:443")])
    run("Request with an Upgrade header", proposals, st.CLIENT, [upgrade])
    run("CONNECT request", proposals, st.CLIENT, [connect])
    run(
        "101 InformationalResponse (Upgrade accepted)",
        proposals,
        st.CLIENT,
        [upgrade, h11.EndOfMessage(), b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"],
    )
    run(
        "2xx Response (CONNECT accepted)",
        proposals,
        st.CLIENT,
        [connect, h11.EndOfMessage(), b"HTTP/1.1 200 OK\r\n\r\n"],
    )
    run(
        "any other final Response (denied)",
        proposals,
        st.CLIENT,
        [upgrade, h11.EndOfMessage(), b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
    )
    return arcs


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(title: str, arcs: List[Arc], lonely: Sequence[str] = ()) -> str:
    merged: Dict[Tuple[str, str, str], List[str]] = {}
    for src, dst, label, kind in arcs:
        merged.setdefault((src, dst, kind), []).append(label)
    lines = [
        f"digraph {_quote(title)} {{",
        '  graph [fontname="Helvetica", fontsize=11, nodesep=0.5, ranksep=0.55];',
        '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#8a94a6"];',
        '  edge [fontname="Helvetica", fontsize=9];',
        f"  label={_quote(title)}; labelloc=t; fontsize=14;",
    ]
    nodes_seen = []
    for src, dst, _ in merged:
        for n in (src, dst):
            if n not in nodes_seen:
                nodes_seen.append(n)
    for n in nodes_seen:
        lines.append(f"  {_quote(n)};")
    for n in lonely:
        if n not in nodes_seen:
            lines.append(f"  {_quote(n)} [style=\"rounded,filled,dashed\", fillcolor=\"#fbeaea\"];")
            lines.append(f"  {{ rank=sink; {_quote(n)}; }}")
    for (src, dst, kind), labels in merged.items():
        colour = COLOURS[kind]
        style = "bold" if kind == EVENT else ("dashed" if kind == CYCLE else "solid")
        font = "Helvetica-Oblique" if kind == STATE else "Helvetica"
        lines.append(
            f"  {_quote(src)} -> {_quote(dst)} [label={_quote(chr(10).join(labels))}, "
            f'color="{colour}", fontcolor="{colour}", style={style}, fontname="{font}"];'
        )
    lines.append("}")
    return "\n".join(lines)


def diagram(which: str) -> Tuple[str, List[Arc], List[str]]:
    h11, st = _core()
    if which in ("CLIENT", "SERVER"):
        role = getattr(st, which)
        lonely = [_name(s) for s in _all_states(role) if s is st.ERROR]
        return f"{which} state machine", role_arcs(role), lonely
    if which == "special":
        return "keep-alive and protocol-switch proposals", special_arcs(), []
    raise ValueError(f"unknown diagram {which!r}: use CLIENT, SERVER or special")


def _have_dot(app: Any) -> bool:
    return shutil.which(app.config.graphviz_dot) is not None


class StateDiagram(SphinxDirective):
    required_arguments = 1
    option_spec = {
        "caption": directives.unchanged,
        "alt": directives.unchanged,
    }

    def run(self) -> List[nodes.Node]:
        which = self.arguments[0]
        try:
            title, arcs, lonely = diagram(which)
        except Exception as exc:  # a real error in the docs or the code
            raise self.error(f"state-diagram {which}: {exc!r}")
        self.env.note_dependency(_core()[1].__file__)
        if _have_dot(self.env.app):
            return self._graphviz(title, arcs, lonely)
        return self._table(title, arcs, lonely)

    def _graphviz(self, title: str, arcs: List[Arc], lonely: List[str]) -> List[nodes.Node]:
        from sphinx.ext.graphviz import figure_wrapper, graphviz

        node = graphviz()
        node["code"] = to_dot(title, arcs, lonely)
        docname = getattr(getattr(self.env, "current_document", None), "docname", None) or self.env.docname
        node["options"] = {"docname": docname}
        node["alt"] = self.options.get("alt", title)
        node["classes"] = ["state-diagram"]
        if "caption" in self.options:
            return [figure_wrapper(self, node, self.options["caption"])]
        return [node]

    def _table(self, title: str, arcs: List[Arc], lonely: List[str]) -> List[nodes.Node]:
        rows = [
            ".. list-table:: " + title + " (Graphviz not installed: shown as a table)",
            "   :header-rows: 1",
            "",
            "   * - from",
            "     - to",
            "     - when",
            "     - kind",
        ]
        for src, dst, label, kind in arcs:
            rows += [
                f"   * - ``{src}``",
                f"     - ``{dst}``",
                "     - " + label.replace("*", "\\*"),
                f"     - {KIND_NAMES[kind]}",
            ]
        for n in lonely:
            rows += [f"   * - (any)", f"     - ``{n}``", "     - an exception while sending or receiving", "     - error"]
        container = nodes.container(classes=["state-diagram-table"])
        self.state.nested_parse(StringList(rows, source="state-diagram"), self.content_offset, container)
        if "caption" in self.options:
            para = nodes.paragraph()
            self.state.nested_parse(StringList([self.options["caption"]]), self.content_offset, para)
            container += para
        return [container]


def _report(app: Any) -> None:
    if not _have_dot(app):
        logger.info("statediagrams: %r not found; state diagrams are rendered as tables", app.config.graphviz_dot)


def setup(app: Any) -> Dict[str, Any]:
    app.setup_extension("sphinx.ext.graphviz")
    app.add_directive("state-diagram", StateDiagram)
    app.connect("builder-inited", _report)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
