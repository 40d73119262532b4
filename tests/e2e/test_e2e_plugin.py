"""
The plugin is found by twistd from the editable install and from a wheel
installed in a fresh virtual environment; ``dropin.cache`` never ships.
"""

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests._support.e2e import ROOT, get

_HELP = "import sys; sys.argv = ['twistd', '--help']; from twisted.scripts.twistd import run; run()"


def _cleanEnv():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # only what is installed
    return env


def test_twistd_help_lists_txh11_from_the_installed_package(tmp_path):
    try:
        importlib.metadata.distribution("txh11")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("txh11 is not installed (pip install -e .)")
    out = subprocess.run(
        [sys.executable, "-c", _HELP], cwd=str(tmp_path), env=_cleanEnv(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
    ).stdout
    assert any(line.split()[:1] == ["txh11"] for line in out.splitlines()), out


def test_no_dropin_cache_in_git():
    if not os.path.isdir(os.path.join(ROOT, ".git")) or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                           check=True).stdout.split()
    assert not [f for f in files if f.endswith("dropin.cache")]
    assert not os.path.exists(os.path.join(ROOT, "src", "twisted", "__init__.py"))
    assert not os.path.exists(os.path.join(ROOT, "src", "twisted", "plugins", "__init__.py"))


def _copySource(dest):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "dropin.cache", "*.egg-info")
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "README.md", "LICENSE"):
        if os.path.exists(os.path.join(ROOT, name)):
            shutil.copy(os.path.join(ROOT, name), dest)
    shutil.copytree(os.path.join(ROOT, "src"), os.path.join(dest, "src"), ignore=ignore)


def _buildWheel(source, dist):
    """A wheel of the source tree, offline when setuptools and wheel are here."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)]
    offline = importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel")
    if offline:
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=180)
    if result.returncode != 0:
        if not offline:
            pytest.skip("cannot build a wheel here (no setuptools+wheel, no index?):\n" + result.stdout[-2000:])
        raise AssertionError(result.stdout)
    (wheel,) = dist.glob("txh11-*.whl")
    return wheel


def test_plugin_found_from_a_wheel_in_a_fresh_venv(tmp_path, twistd):
    source, dist, venv = tmp_path / "source", tmp_path / "dist", tmp_path / "venv"
    source.mkdir()
    _copySource(source)
    # a stale cache next to the plugin must not end up in the wheel
    (source / "src" / "twisted" / "plugins" / "dropin.cache").write_bytes(b"stale")
    wheel = _buildWheel(source, dist)

    names = zipfile.ZipFile(wheel).namelist()
    assert "twisted/plugins/txh11_plugin.py" in names
    assert "txh11/tap/__init__.py" in names
    assert not [n for n in names if n.endswith("dropin.cache")]
    assert "twisted/__init__.py" not in names and "twisted/plugins/__init__.py" not in names

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", purelib, str(wheel)],
        check=True, timeout=180,
    )
    # the dependencies (Twisted, ...) come from this environment's site-packages, added
    # as plain paths: their .pth files (an editable txh11 among them) are not processed
    import site

    dirs = [d for d in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(d)]
    with open(os.path.join(purelib, "deps-from-outside.pth"), "w") as f:
        f.write("\n".join(dirs) + "\n")

    where = subprocess.run(
        [python, "-c", "import txh11, twisted.plugins.txh11_plugin as p; print(txh11.__file__); print(p.__file__)"],
        cwd=str(tmp_path), env=_cleanEnv(), check=True, stdout=subprocess.PIPE, text=True, timeout=60,
    ).stdout.split()
    assert all(path.startswith(str(venv)) for path in where), where

    out = subprocess.run(
        [python, "-c", _HELP], cwd=str(tmp_path), env=_cleanEnv(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
    ).stdout
    assert any(line.split()[:1] == ["txh11"] for line in out.splitlines()), out

    # and it serves: twistd -n txh11 from the venv, one request
    (tmp_path / "hello.txt").write_bytes(b"from the wheel\n")
    server = twistd("--listen", "tcp:0:interface=127.0.0.1", python=python, cwd=tmp_path)
    assert get(server.port, "/hello.txt")[::2] == (200, b"from the wheel\n")
    assert f"({venv}/bin/python" in server.output  # twistd names its interpreter
