"""``.. twistd-options:: txh11.tap.Options``: every option of a twistd plugin.

Renders a table (option, short form, default, description) from a
``twisted.python.usage.Options`` subclass at build time, using the same data
that ``twistd <plugin> --help`` prints: ``optFlags``, ``optParameters`` and
``opt_*`` methods with their docstrings. So the manual lists every option,
and an option added to the code appears here without anyone editing the
docs.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Dict, List

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_SKIP = {"help", "version"}


def _escape(text: str) -> str:
    """Plain text for a table cell: `name` becomes a literal; no accidental
    markup, and no endpoint string (``tcp:8080``) taken for a URL."""
    text = " ".join(str(text).split())
    # endpoint strings and the like (tcp:8080:interface=...) as literals
    text = re.sub(r"(?<![`\w])([a-z][a-z0-9+]*:[^\s,()`]+?)(?=[.,;)]*(?:\s|$))", r"`\1`", text)
    out = []
    for i, part in enumerate(re.split(r"`([^`]+)`", text)):
        if i % 2:
            out.append("``" + part + "``")
        else:
            for ch in "\\*|_:":
                part = part.replace(ch, "\\" + ch)
            out.append(part)
    return "".join(out)


def option_rows(options_class: Any) -> List[Dict[str, str]]:
    opts = options_class()
    shorts: Dict[str, str] = {}
    for short, long_ in opts.synonyms.items():
        if len(short) == 1:
            shorts[long_] = short
    rows = []
    for spec in opts.longOpt:
        takes_arg = spec.endswith("=")
        name = spec.rstrip("=")
        if name in _SKIP:
            continue
        default = opts.defaults.get(name)
        if not takes_arg:
            default_text = ""
        elif default is None:
            default_text = ""
        else:
            default_text = f"``{default}``"
        short = shorts.get(name, "")
        doc = opts.docs.get(name, "")
        coerce_doc = getattr(opts._dispatch.get(name), "doc", "") if takes_arg else ""
        if coerce_doc:
            doc = f"{doc.rstrip()} {coerce_doc}" if doc.rstrip().endswith(".") else f"{doc.rstrip()}. {coerce_doc}"
        rows.append(
            {
                "option": f"``--{name}{'=…' if takes_arg else ''}``",
                "short": f"``-{short}``" if short else "",
                "default": default_text,
                "doc": _escape(doc),
            }
        )
    return rows


class TwistdOptions(SphinxDirective):
    required_arguments = 1

    def run(self) -> List[nodes.Node]:
        target = self.arguments[0]
        module_name, _, attr = target.rpartition(".")
        try:
            module = importlib.import_module(module_name)
            options_class = getattr(module, attr)
            rows = option_rows(options_class)
        except Exception as exc:
            raise self.error(f"twistd-options: cannot load {target}: {exc!r}")
        self.env.note_dependency(module.__file__)
        with_short = any(row["short"] for row in rows)
        columns = ["option"] + (["short"] if with_short else []) + ["default", "what it does"]
        widths = "22 8 14 56" if with_short else "24 14 62"
        lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
        lines += ["   * - " + columns[0]] + [f"     - {c}" for c in columns[1:]]
        for row in rows:
            cells = [row["option"]] + ([row["short"]] if with_short else []) + [row["default"], row["doc"]]
            lines += [f"   * - {cells[0]}"] + [f"     - {c}" for c in cells[1:]]
        container = nodes.container(classes=["twistd-options"])
        self.state.nested_parse(StringList(lines, source=target), self.content_offset, container)
        return [container]


def setup(app: Any) -> Dict[str, Any]:
    app.add_directive("twistd-options", TwistdOptions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
