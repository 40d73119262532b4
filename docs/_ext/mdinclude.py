"""``.. markdown-include:: ../CHANGELOG.md``: include a simple Markdown file.

The changelog lives at the top of the repository as Markdown; this turns the
small subset it uses into reStructuredText at build time, so Sphinx needs no
Markdown parser:

* ``#``/``##``/``###`` headings (the first ``#`` heading is dropped with
  ``:skip-title:``, since the page has its own title);
* ``-``/``*`` bullets with indented continuation lines, and numbered lists;
* paragraphs, ``inline code``, ``**bold**``, ``*emphasis*``, ``[text](url)``;
* fenced code blocks (```` ```lang ````).

Anything else passes through as text. The file is a dependency of the page,
so editing it rebuilds the page.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List

from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from docutils import nodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_UNDERLINES = {1: "=", 2: "-", 3: "~", 4: "^"}


def _inline(text: str) -> str:
    # Protect code spans first, then links; bold/emphasis are the same in rst.
    spans: List[str] = []

    def keep(m: "re.Match[str]") -> str:
        spans.append("``" + m.group(1) + "``")
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE.sub(keep, text)
    text = _LINK.sub(lambda m: f"`{m.group(1)} <{m.group(2)}>`__", text)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)


def markdown_to_rst(md: str, skip_title: bool = False, top_level: int = 2) -> List[str]:
    """Convert the Markdown subset above; ``top_level`` is the rst level that
    a ``##`` heading becomes (the page title being level 1)."""
    out: List[str] = []
    fence = None
    list_level = -1
    skipped = not skip_title
    for raw in md.splitlines():
        line = raw.rstrip()
        if fence is not None:
            if line.startswith("```"):
                fence = None
                out.append("")
            else:
                out.append("   " + raw)
            continue
        if line.startswith("```"):
            lang = line[3:].strip() or "text"
            out += ["", f".. code-block:: {lang}", ""]
            fence = lang
            continue
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m:
            level = len(m.group(1))
            title = _inline(m.group(2).strip())
            if level == 1 and not skipped:
                skipped = True
                continue
            rst_level = max(1, level - 2 + top_level)
            char = _UNDERLINES.get(rst_level, "^")
            out += ["", title, char * max(len(title), 3), ""]
            list_level = -1
            continue
        m = re.match(r"(\s*)([-*]|\d+\.)\s+(.*)", line)
        if m:
            indent, bullet, rest = m.groups()
            # rst needs a blank line around a nested list, and nesting by
            # the parent item's text column: Markdown's 2 or 4 spaces map to
            # 2 (after "- ") or 3 (after "#. ") per level.
            level = len(indent.expandtabs(4)) // 2
            if level != list_level and out and out[-1].strip():
                out.append("")
            list_level = level
            bullet = "-" if bullet in "-*" else "#."
            out.append("  " * level + bullet + " " + _inline(rest))
            continue
        if line.strip() and list_level >= 0 and not line.startswith(" "):
            # a paragraph right after a list
            if out and out[-1].strip():
                out.append("")
            list_level = -1
        elif not line.strip():
            pass
        elif list_level >= 0:
            # continuation of a list item: align with its text
            line = "  " * (list_level + 1) + line.strip()
        out.append(_inline(line))
    return out


class MarkdownInclude(SphinxDirective):
    required_arguments = 1
    option_spec = {"skip-title": directives.flag}

    def run(self) -> List[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        try:
            with open(path, encoding="utf-8") as f:
                md = f.read()
        except OSError as exc:
            raise self.error(f"markdown-include: cannot read {path}: {exc}")
        lines = markdown_to_rst(md, skip_title="skip-title" in self.options)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=os.path.basename(path)), container)
        return container.children


def setup(app: Any) -> Dict[str, Any]:
    app.add_directive("markdown-include", MarkdownInclude)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
