"""The manual cannot drift from the code.

1. ``test_tutorial``: every ``.. code-block:: python`` of docs/tutorial.rst
   runs, in order, in one namespace, against the tutorial server
   (docs/_examples/tutorial_server.py, the standard library's http.server)
   started here on a free port of 127.0.0.1. What a block prints must equal
   the ``.. code-block:: text`` with ``:class: output`` that follows it; a
   block that prints without such a block after it fails too. The docs say
   port 8080; the test substitutes the port it got.

2. ``test_doctests``: every ``>>>`` example in the other pages runs with the
   standard library's doctest (``txh11`` imported as ``h11``).

3. ``test_sphinx_build``: ``sphinx-build -W -b html`` into a temporary
   directory (skipped when Sphinx is not installed: ``pip install -e '.[docs]'``).

Run ``python tests/docs/test_docs.py --update`` to rewrite the output blocks
of the tutorial from a real run (then read the diff before committing).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.rst"
DOC_PORT = "8080"

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*(?P<lang>\S+)\s*$")
_OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):\s*(?P<value>.*)$")


@dataclass
class Block:
    lang: str
    options: Dict[str, str]
    lines: List[str]
    line: int  # 1-based line number of the directive
    content_start: int  # 0-based index of the first content line
    content_end: int  # 0-based index one past the last content line
    indent: str = ""
    extra: List[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")

    @property
    def is_output(self) -> bool:
        return self.lang == "text" and "output" in self.options.get("class", "").split()


def parse_blocks(source: str) -> List[Block]:
    """Every ``code-block`` directive of an rst text, with its content dedented."""
    lines = source.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group("indent"))
        start = i
        i += 1
        options = {}
        while i < len(lines) and (o := _OPTION.match(lines[i])) and _indent(lines[i]) > indent:
            options[o.group("name")] = o.group("value").strip()
            i += 1
        # content: a blank line, then lines indented more than the directive
        while i < len(lines) and not lines[i].strip():
            i += 1
        content_start = i
        body: List[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        content_end = content_start + len(body)
        body_indent = min((_indent(b) for b in body if b.strip()), default=indent + 3)
        blocks.append(
            Block(
                lang=m.group("lang"),
                options=options,
                lines=[b[body_indent:] for b in body],
                line=start + 1,
                content_start=content_start,
                content_end=content_end,
                indent=" " * body_indent,
            )
        )
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load_tutorial_server():
    path = DOCS / "_examples" / "tutorial_server.py"
    spec = importlib.util.spec_from_file_location("txh11_tutorial_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@contextlib.contextmanager
def tutorial_server():
    module = _load_tutorial_server()
    port = _free_port()
    server = module.start(port)
    try:
        yield str(port)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Step:
    code: Block
    output: Optional[Block]
    printed: str


def run_tutorial(port: str) -> List[Step]:
    """Run the python blocks of the tutorial in order; return what each printed."""
    blocks = parse_blocks(TUTORIAL.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__tutorial__"}
    steps = []
    for i, block in enumerate(blocks):
        if block.lang != "python":
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        output = following if following is not None and following.is_output else None
        code = block.text.replace(DOC_PORT, port)
        buf = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(buf):
            try:
                exec(compile(code, f"{TUTORIAL.name}:{block.line}", "exec"), namespace)
            except BaseException as exc:
                raise AssertionError(
                    f"the code block at {TUTORIAL.name}:{block.line} raised {exc!r}\n"
                    f"--- it printed before that:\n{buf.getvalue()}"
                ) from exc
        if time.monotonic() - started > 10:
            raise AssertionError(f"the code block at {TUTORIAL.name}:{block.line} took too long")
        steps.append(Step(block, output, buf.getvalue().replace(port, DOC_PORT)))
    for sock_like in list(namespace.values()):
        close = getattr(sock_like, "close", None)
        if isinstance(sock_like, socket.socket) and close:
            close()
    return steps


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_tutorial_blocks_are_found():
    blocks = parse_blocks(TUTORIAL.read_text(encoding="utf-8"))
    python = [b for b in blocks if b.lang == "python"]
    outputs = [b for b in blocks if b.is_output]
    assert len(python) >= 15, "the tutorial lost its code blocks?"
    assert len(outputs) >= 12
    for i, b in enumerate(blocks):
        if b.is_output:
            assert i > 0 and blocks[i - 1].lang == "python", (
                f"output block at line {b.line} does not follow a python block"
            )


def test_tutorial():
    with tutorial_server() as port:
        steps = run_tutorial(port)
    problems = []
    for step in steps:
        where = f"{TUTORIAL.name}:{step.code.line}"
        if step.output is None:
            if step.printed.strip():
                problems.append(f"{where} prints, but no output block follows:\n{step.printed}")
            continue
        want = _normalise(step.output.text)
        got = _normalise(step.printed)
        if want != got:
            problems.append(f"{where}: the docs show\n{want}\n--- but the code printed\n{got}")
    assert not problems, "\n\n".join(problems)


def update_tutorial() -> None:
    """Rewrite the tutorial's output blocks from a real run."""
    with tutorial_server() as port:
        steps = run_tutorial(port)
    lines = TUTORIAL.read_text(encoding="utf-8").splitlines()
    for step in reversed(steps):
        printed = [l.rstrip() for l in step.printed.rstrip("\n").splitlines()]
        if step.output is not None:
            ind = step.output.indent
            new = [ind + l if l else "" for l in printed]
            lines[step.output.content_start : step.output.content_end] = new
        elif printed:
            ind = step.code.indent
            block = ["", ind[:-3] + ".. code-block:: text", ind + ":class: output", ""]
            block += [ind + l if l else "" for l in printed]
            lines[step.code.content_end : step.code.content_end] = block
    TUTORIAL.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the example programs of the guides ---------------------------------------

EXAMPLES = DOCS / "_examples"


@contextlib.contextmanager
def running_example(name: str, *args: str):
    """Run docs/_examples/<name> in a subprocess until it prints its first
    line (it is then listening); stop it afterwards."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise AssertionError(f"{name} exited: {proc.stderr.read()}")  # type: ignore[union-attr]
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def _run_example(name: str, *args: str, env: Optional[Dict[str, str]] = None) -> str:
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


_PROXY = """
import sys
from twisted.internet import reactor
from twisted.web import http, proxy
factory = http.HTTPFactory()
factory.protocol = proxy.Proxy
port = reactor.listenTCP(0, factory, interface="127.0.0.1")
print(port.getHost().port, flush=True)
reactor.run()
"""


@contextlib.contextmanager
def twisted_proxy():
    """Twisted's own twisted.web.proxy in a subprocess on 127.0.0.1; yields
    its URL."""
    proc = subprocess.Popen([sys.executable, "-c", _PROXY], stdout=subprocess.PIPE, text=True)
    try:
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}"  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _console_output(page: str, command_fragment: str) -> str:
    """The output lines shown under ``$ ...command_fragment...`` in a console block."""
    for block in parse_blocks((DOCS / page).read_text(encoding="utf-8")):
        if block.lang != "console":
            continue
        lines = block.lines
        for i, line in enumerate(lines):
            if line.startswith("$ ") and command_fragment in line:
                out = []
                for rest in lines[i + 1 :]:
                    if rest.startswith("$ "):
                        break
                    out.append(rest)
                return "\n".join(out).strip()
    raise AssertionError(f"no console block in {page} runs {command_fragment!r}")


def _get(port: int, target: str, method: str = "GET", body: bytes = b""):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, target, body=body or None)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_example_native_server_and_agent():
    port = _free_port()
    with running_example("native_server.py", str(port)) as first:
        assert first.strip() == f"listening on http://127.0.0.1:{port}/"
        response, data = _get(port, "/hello")
        assert response.status == 200
        shown = _console_output("embedding.rst", "curl http://127.0.0.1:8080/hello")
        assert data.decode().strip() == shown
        response, data = _get(port, "/upload", "POST", b"x" * 1000)
        assert data == b"you sent 1000 bytes\n"
        out = _run_example("agent_get.py", f"http://127.0.0.1:{port}/hello")
        assert out.strip() == _console_output("client.rst", "agent_get.py")
        out = _run_example("treq_post.py", f"http://127.0.0.1:{port}/upload")
        assert out.strip() == _console_output("client.rst", "treq_post.py")
        with twisted_proxy() as proxy:
            url = f"http://127.0.0.1:{port}/hello"
            out = _run_example("agent_proxy.py", url, proxy)
            assert out.strip() == _console_output("client.rst", "agent_proxy.py http://127.0.0.1:8080/hello http")
            env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
            out = _run_example("agent_proxy.py", url, env=dict(env, HTTP_PROXY=proxy))
            assert out.strip() == _console_output("client.rst", "HTTP_PROXY=")
            # the environment's proxy is really the way: a dead one fails
            with pytest.raises(AssertionError, match="ConnectionRefused"):
                _run_example("agent_proxy.py", url, env=dict(env, HTTP_PROXY="http://127.0.0.1:1"))


def test_example_file_server(tmp_path: Path):
    payload = os.urandom(300_000)
    (tmp_path / "blob.bin").write_bytes(payload)
    (tmp_path / "hello.txt").write_text("hi\n")
    port = _free_port()
    with running_example("file_server.py", str(port), str(tmp_path)):
        response, data = _get(port, "/blob.bin")
        assert response.status == 200 and data == payload
        assert response.getheader("content-type") == "application/octet-stream"
        response, data = _get(port, "/hello.txt")
        assert (response.status, data, response.getheader("content-type")) == (200, b"hi\n", "text/plain")
        response, _ = _get(port, "/../../etc/passwd")
        assert response.status == 404
        response, _ = _get(port, "/hello.txt", "POST", b"x")
        assert response.status == 405


def test_example_web_site(tmp_path: Path):
    pytest.importorskip("klein", reason="klein is not installed (it is in the test extra)")
    payload = os.urandom(200_000)
    (tmp_path / "blob.bin").write_bytes(payload)
    port = _free_port()
    with running_example("web_site.py", str(port), str(tmp_path)) as first:
        assert first.strip() == f"listening on http://127.0.0.1:{port}/"
        for path in ["/klein/hello/reader", "/wsgi/some/path"]:
            response, data = _get(port, path)
            assert response.status == 200
            assert data.decode().strip() == _console_output("embedding.rst", f"curl http://127.0.0.1:8080{path}")
        response, data = _get(port, "/static/blob.bin")
        assert response.status == 200 and data == payload
        response, _ = _get(port, "/nothing-here")
        assert response.status == 404


def test_twistd_serves_a_directory(tmp_path: Path):
    """serving.rst's first command, for real: twistd -n txh11 --path DIR."""
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.txt").write_text("served by twistd txh11\n")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = [
        sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
        "-n", "--pidfile=", "--logfile=-",
        "txh11", "--path", str(tmp_path / "www"), "--listen", f"tcp:{port}:interface=127.0.0.1",
    ]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response, data = _get(port, "/index.txt")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"twistd did not start:\n{proc.stdout.read()}")  # type: ignore[union-attr]
                time.sleep(0.2)
        assert response.status == 200
        assert data == b"served by twistd txh11\n"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "txh11 listening on" in out, out


# -- doctests in the other pages ---------------------------------------------

DOCTEST_PAGES = sorted(
    p for p in DOCS.glob("*.rst") if p.name != TUTORIAL.name and ">>>" in p.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("page", DOCTEST_PAGES, ids=lambda p: p.name)
def test_doctests(page: Path):
    text = page.read_text(encoding="utf-8")
    import txh11

    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"h11": txh11, "txh11": txh11}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL)
    out = io.StringIO()
    runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()


# -- the changelog converter ---------------------------------------------------


def test_changelog_markdown_converts_without_warnings():
    """docs/_ext/mdinclude.py turns the Markdown that CHANGELOG.md uses (and
    will likely use: nested lists, numbered lists, code) into valid rst."""
    docutils_core = pytest.importorskip("docutils.core")
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from mdinclude import markdown_to_rst
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    sample = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8") + (
        "\n## 0.0.1 (sample)\n\nIntro with `code` and a [link](https://example.com).\n\n"
        "- Item one,\n  continued.\n  - nested *a*\n  - nested **b**\n- Item two\n\n"
        "### Fixed\n\n1. first\n2. second\n\nTrailing paragraph.\n\n```python\nprint(1)\n```\n"
    )
    rst = "Changelog\n=========\n\n" + "\n".join(markdown_to_rst(sample, skip_title=True))
    warnings = io.StringIO()
    docutils_core.publish_doctree(rst, settings_overrides={"warning_stream": warnings, "report_level": 2})
    assert warnings.getvalue() == "", rst


# -- the build ---------------------------------------------------------------


def _sphinx_build(out: Path, env: Optional[dict] = None) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        str(DOCS),
        str(out / "html"),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, cwd=ROOT, env=dict(os.environ, **(env or {}))
    )
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stdout}\n{proc.stderr}"
    html = out / "html"
    for page in ["index", "tutorial", "api", "twisted-api", "serving", "changelog"]:
        assert (html / f"{page}.html").exists(), page
    return html


def test_sphinx_build(tmp_path: Path):
    pytest.importorskip("sphinx", reason="Sphinx is not installed: pip install -e '.[docs]'")
    html = _sphinx_build(tmp_path)
    api = (html / "api.html").read_text(encoding="utf-8")
    if shutil.which("dot"):
        # three diagrams drawn by Graphviz from the core's transition tables
        assert api.count('class="graphviz') >= 3, "state diagrams missing from api.html"
    else:
        assert api.count("state-diagram-table") >= 3
    changelog = (html / "changelog.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog
    _check_every_public_name_documented(html / "objects.inv")


PUBLIC_MODULES = ["txh11", "txh11.protocol", "txh11.bodies", "txh11.headers", "txh11.server", "txh11.web", "txh11.client", "txh11.tap"]


def _check_every_public_name_documented(inventory: Path) -> None:
    """Every name in the ``__all__`` of txh11 and of its public Twisted
    modules is a documented object of the manual (so autodoc, the manual
    entries and the interface extension between them miss nothing)."""
    import importlib
    import posixpath

    from sphinx.util.inventory import InventoryFile

    with open(inventory, "rb") as f:
        inv = InventoryFile.load(f, "", posixpath.join)
    data = inv.data if hasattr(inv, "data") else inv
    documented = set()
    for kind, entries in data.items():
        if kind.startswith("py:"):
            documented.update(entries)
    missing = []
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a layer that has not landed yet
            continue
        for name in getattr(module, "__all__", []):
            if name != "__version__" and f"{module_name}.{name}" not in documented:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names missing from the manual: {missing}"


def test_sphinx_build_without_graphviz(tmp_path: Path):
    """Without dot the diagrams become tables, still without a warning."""
    pytest.importorskip("sphinx", reason="Sphinx is not installed: pip install -e '.[docs]'")
    html = _sphinx_build(tmp_path, {"GRAPHVIZ_DOT": str(tmp_path / "no-such-dot")})
    api = (html / "api.html").read_text(encoding="utf-8")
    assert api.count("state-diagram-table") == 3
    assert "SWITCHED_PROTOCOL" in api and "start_next_cycle()" in api


if __name__ == "__main__":
    if "--update" in sys.argv:
        update_tutorial()
        print(f"rewrote the output blocks of {TUTORIAL}")
    else:
        with tutorial_server() as port:
            for step in run_tutorial(port):
                print(f"--- {TUTORIAL.name}:{step.code.line}")
                print(step.printed, end="")
