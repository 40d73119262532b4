"""``.. autointerface:: txh11.server.IServerRequest``: document a zope interface.

autodoc skips ``zope.interface`` interfaces (they are not classes), so this
renders one from the interface itself: its docstring, the interfaces it
extends, and each method (with the signature zope records) and attribute
with its own docstring, in definition order.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, List

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _indent(text: str, prefix: str) -> List[str]:
    return [prefix + line if line.strip() else "" for line in inspect.cleandoc(text or "").splitlines()]


def interface_rst(path: str) -> List[str]:
    module_name, _, name = path.rpartition(".")
    module = importlib.import_module(module_name)
    iface = getattr(module, name)
    from zope.interface.interface import Method

    lines = [f".. py:class:: {name}", f"   :module: {module_name}", ""]
    lines += _indent(iface.__doc__ or "", "   ") + [""]
    bases = [b for b in iface.__bases__ if b.__name__ != "Interface"]
    if bases:
        names = ", ".join(f":class:`{b.__module__}.{b.__name__}`" for b in bases)
        lines += [f"   *Interface*, extends {names}.", ""]
    else:
        lines += ["   *Interface* (``zope.interface``).", ""]
    for member_name, member in iface.namesAndDescriptions(all=False):
        if isinstance(member, Method):
            sig = member.getSignatureString()
            lines += [f"   .. py:method:: {member_name}{sig}", ""]
        else:
            lines += [f"   .. py:attribute:: {member_name}", ""]
        lines += _indent(member.getDoc() or "", "      ") + [""]
    return lines


class AutoInterface(SphinxDirective):
    required_arguments = 1

    def run(self) -> List[nodes.Node]:
        path = self.arguments[0]
        try:
            lines = interface_rst(path)
        except Exception as exc:
            raise self.error(f"autointerface: cannot document {path}: {exc!r}")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=path), self.content_offset, container)
        return container.children


def setup(app: Any) -> Dict[str, Any]:
    app.add_directive("autointerface", AutoInterface)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
