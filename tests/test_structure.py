"""
The shape rules of issue 13, checked on ``src/txh11`` with ``ast``: no
access to another module's underscore members except in the one module that
touches Twisted's internals.

Known exceptions are listed by name with the issue that removes them; a
listed exception that no longer occurs fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
import os
from typing import Iterator, Optional

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
PACKAGE = os.path.join(SRC, "txh11")

#: the one module that touches Twisted's internals (with the versions it was
#: checked against written there)
TWISTED_INTERNALS = "txh11/_twisted.py"


# Known exceptions, each removed when its fix lands (the lead tightens
# these at the end of issue 13): the core (src/txh11/_core, the core
# engineer's), the client (src/txh11/client, the client engineer's) and worker.py (moving into txh11/tap, issue 15).
KNOWN_UNDERSCORE = {
    # issue 13 (core)
    "txh11/_core/_connection.py:exc._reraise_as_remote_protocol_error",
    "txh11/_core/_writers.py:headers._items",
    "txh11/_core/_writers.py:headers._raw",
    "txh11/_core/_writers.py:headers._wire",
    "txh11/_core/_writers.py:trailers._items",
    # issue 13 (client)
    "txh11/client/_request.py:p._givenHeaders",
    "txh11/client/_request.py:p._hostValue",
    # issue 15 (ops: worker.py moves into txh11/tap)
    "txh11/worker.py:import txh11.tap._service",
    "txh11/worker.py:import txh11.tap._service.CannotListen",
    "txh11/worker.py:import txh11.tap._workers",
    "txh11/worker.py:import txh11.tap._workers.AdoptingReactor",
}


def sources() -> Iterator[tuple[str, str, ast.Module]]:
    """(path relative to src, module name, tree) of every module."""
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, SRC).replace(os.sep, "/")
                module = rel[:-3].replace("/", ".")
                if module.endswith(".__init__"):
                    module = module[: -len(".__init__")]
                with open(path, encoding="utf-8") as f:
                    yield rel, module, ast.parse(f.read(), path)


def definedPrivateNames(tree: ast.Module) -> set[str]:
    """The underscore names a module defines: its functions, classes,
    methods, class attributes and the attributes its code sets on
    ``self``/``cls``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)
    return {n for n in names if n.startswith("_")}


def isDunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def underscoreAccesses(rel: str, tree: ast.Module) -> set[str]:
    """``x._name`` in module ``rel`` where ``x`` is not ``self``/``cls``
    and ``_name`` is not the module's own."""
    own = definedPrivateNames(tree)
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or isDunder(name) or name in own:
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.add(f"{rel}:{ast.unparse(node)}")
    return found


def privateImports(rel: str, module: str, tree: ast.Module) -> set[str]:
    """``from a._b import c`` / ``import a._b`` naming a private module of
    another package (a package's own private modules are its business)."""
    package = module if rel.endswith("__init__.py") else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = resolve(package, node.module, node.level)
            if base is not None:
                targets.append(base)
                targets += [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        for target in targets:
            parts = target.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_") and not isDunder(part):
                    owner = ".".join(parts[:i])
                    if owner.startswith("txh11") and not (
                        package == owner or package.startswith(owner + ".")
                    ):
                        found.add(f"{rel}:import {target}")
                    break
    return found


def resolve(package: str, name: Optional[str], level: int) -> Optional[str]:
    if level == 0:
        return name
    base = package.split(".")
    if level > 1:
        base = base[: -(level - 1)]
    return ".".join(base + ([name] if name else []))


def underscoreViolations() -> set[str]:
    found = set()
    for rel, module, tree in sources():
        if rel == TWISTED_INTERNALS:
            continue
        found |= underscoreAccesses(rel, tree)
        found |= privateImports(rel, module, tree)
    return found


def test_no_underscore_access_across_modules() -> None:
    assert underscoreViolations() == KNOWN_UNDERSCORE


def test_the_checks_find_what_they_look_for() -> None:
    """Each check, on a small made-up module, finds the breach in it."""
    tree = ast.parse(
        "import txh11.protocol._socket\n"
        "from txh11.protocol._socket import buffered\n"
        "class A:\n"
        "    def f(self, other):\n"
        "        self._mine = other._theirs + self._mine + other.__class__\n"
        "        return _helper(other._mine)\n"
        "def _helper(x):\n"
        "    return x\n"
    )
    assert underscoreAccesses("txh11/web/x.py", tree) == {"txh11/web/x.py:other._theirs"}
    assert privateImports("txh11/web/x.py", "txh11.web.x", tree) == {
        "txh11/web/x.py:import txh11.protocol._socket",
        "txh11/web/x.py:import txh11.protocol._socket.buffered",
    }
    assert privateImports("txh11/protocol/x.py", "txh11.protocol.x", tree) == set()
