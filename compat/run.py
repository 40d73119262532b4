"""Run the test suites of real h11 users on h11 and on txh11, and compare.

    python compat/run.py [--workdir DIR] [--suite NAME ...] [--fresh]

Downloads the pinned sdists of uvicorn and httpcore with pip, installs them
with their test dependencies in a throwaway venv (kept in ``--workdir`` and
reused while the pins are the same), and runs each suite twice: on the real
h11 (pinned below) and with ``compat/shim`` first on ``sys.path``, a package
named ``h11`` that re-exports txh11. A pytest plugin in the shim proves which
``h11`` each run imported. Prints, per suite, the tests that fail only under
txh11 and are not among the documented deviations (``deviations.py``), and
exits non-zero when there are any, or when a run did not use the ``h11`` it
was meant to.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from deviations import DEVIATIONS  # noqa: E402

H11 = "h11==0.16.0"

#: name -> (sdist pin, test dependencies, test paths, extra pytest arguments)
SUITES: Dict[str, Tuple[str, List[str], List[str], List[str]]] = {
    "uvicorn": (
        "uvicorn==0.55.0",
        [
            "click>=7.0",
            "pytest-mock==3.17.0",
            "trustme==1.2.1",
            "cryptography",
            "httpx2",
            "websockets",
            "wsproto==1.3.2",
            "a2wsgi==1.10.10",
            "anyio",
        ],
        ["tests/protocols/test_http.py", "tests/protocols/test_websocket.py"],
        # (its own addopts ask for pytest-xdist with 8 workers)
        ["-o", "addopts=-rxXs"],
    ),
    "httpcore": (
        "httpcore==1.0.9",
        ["certifi", "anyio", "trio", "pytest-trio", "pytest-httpbin", "h2", "socksio", "hpack", "hyperframe"],
        ["tests"],
        ["--ignore=tests/benchmark"],
    ),
}

COMMON = ["pip", "setuptools", "wheel", "pytest", H11]


def sh(cmd: List[str], **kw) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run(cmd, check=True, **kw)


def prepare(work: Path, fresh: bool) -> Tuple[Path, Dict[str, Path]]:
    """Download and unpack the sdists, make the venv; return (python, sources)."""
    pins = [SUITES[s][0] for s in SUITES]
    stamp = json.dumps([COMMON, {s: SUITES[s][:2] for s in SUITES}])
    if fresh and work.exists():
        shutil.rmtree(work)
    dl = work / "sdists"
    dl.mkdir(parents=True, exist_ok=True)
    for pin in pins:
        name, version = pin.split("==")
        if not (dl / f"{name}-{version}.tar.gz").exists():
            sh([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", "-d", str(dl), pin])
    sources: Dict[str, Path] = {}
    for suite, (pin, _, _, _) in SUITES.items():
        name, version = pin.split("==")
        src = work / "src" / f"{name}-{version}"
        if not src.exists():
            with tarfile.open(dl / f"{name}-{version}.tar.gz") as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(work / "src", filter="data")
                else:  # Python < 3.11.4: sdists from PyPI, as pip itself unpacks them
                    tar.extractall(work / "src")
        sources[suite] = src
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not (venv / "stamp.json").exists() or (venv / "stamp.json").read_text() != stamp:
        if venv.exists():
            shutil.rmtree(venv)
        sh([sys.executable, "-m", "venv", str(venv)])
        pip = [str(python), "-m", "pip", "install", "-q"]
        sh(pip + ["--upgrade"] + COMMON)
        deps = [d for s in SUITES for d in SUITES[s][1]]
        sh(pip + [str(sources[s]) for s in SUITES] + deps + [H11])
        (venv / "stamp.json").write_text(stamp)
    return python, sources


def run_suite(python: Path, src: Path, suite: str, on_txh11: bool, out: Path) -> Tuple[Dict[str, str], dict, float]:
    """Run one suite; return ({test id: outcome}, what the probe saw, seconds)."""
    _, _, paths, extra = SUITES[suite]
    tag = "txh11" if on_txh11 else "h11"
    xml = out / f"{suite}-{tag}.xml"
    probe = out / f"{suite}-{tag}-probe.json"
    env = dict(os.environ)
    path = [str(HERE / "shim")]
    if on_txh11:
        path = [str(HERE / "shim"), str(REPO / "src")]
    else:
        # the probe plugin only: the shim's h11 package must not shadow h11
        plugin_dir = out / "probe-only"
        plugin_dir.mkdir(exist_ok=True)
        shutil.copy(HERE / "shim" / "compat_probe.py", plugin_dir)
        path = [str(plugin_dir)]
    env["PYTHONPATH"] = os.pathsep.join(path)
    env["COMPAT_PROBE_OUT"] = str(probe)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [
        str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "compat_probe",
        f"--junitxml={xml}", *extra, *paths,
    ]
    t0 = time.monotonic()
    with open(out / f"{suite}-{tag}.log", "w") as log:
        subprocess.run(cmd, cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=1200)
    took = time.monotonic() - t0
    seen = json.loads(probe.read_text()) if probe.exists() else {}
    return outcomes(xml), seen, took


def outcomes(xml: Path) -> Dict[str, str]:
    """{test id: "passed" | "failed" | "skipped"} from a JUnit XML report."""
    result: Dict[str, str] = {}
    if not xml.exists():
        return result
    for case in ET.parse(xml).getroot().iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        state = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                state = "failed"
                break
            if child.tag == "skipped":
                state = "skipped"
        # setup and call can both be reported: a failure in either counts
        if result.get(test) != "failed":
            result[test] = state
    return result


def documented(suite: str, test: str) -> Optional[str]:
    for dev in DEVIATIONS:
        if dev.suite == suite and any(test.endswith(t) or t in test for t in dev.tests):
            return dev.name
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "txh11-compat"))
    parser.add_argument("--suite", action="append", choices=sorted(SUITES))
    parser.add_argument("--fresh", action="store_true", help="download and install everything again")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    t0 = time.monotonic()
    python, sources = prepare(work, args.fresh)
    print(f"prepared {work} in {time.monotonic() - t0:.0f} s")
    out = work / "results"
    out.mkdir(exist_ok=True)
    bad = total = 0
    for suite in args.suite or list(SUITES):
        # the two runs side by side (each is one process, mostly waiting)
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(run_suite, python, sources[suite], suite, on, out) for on in (False, True)]
            (ref, ref_probe, t_ref), (got, got_probe, t_got) = [r.result() for r in runs]
        print(f"\n== {suite} ({SUITES[suite][0]}): {len(got)} tests; h11 run {t_ref:.0f} s, txh11 run {t_got:.0f} s")
        total += len(got)
        if not ref or ref_probe.get("is_txh11") is not False or ref_probe.get("h11_version") != H11.split("==")[1]:
            print(f"   the h11 run did not run on {H11}: {ref_probe} (see {out}/{suite}-h11.log)")
            bad += 1
            continue
        if not got or got_probe.get("is_txh11") is not True:
            print(f"   the txh11 run did not run on txh11: {got_probe} (see {out}/{suite}-txh11.log)")
            bad += 1
            continue
        print(f"   shim active: h11 is {got_probe['h11_file']} and h11.Connection is txh11.Connection")
        failing_ref = {t for t, s in ref.items() if s == "failed"}
        only: Set[str] = {t for t, s in got.items() if s == "failed"} - failing_ref
        explained = {t: documented(suite, t) for t in only}
        unexplained = sorted(t for t, why in explained.items() if why is None)
        print(f"   failing on h11 too (not counted): {len(failing_ref)}")
        print(f"   failing only under txh11: {len(only)}, of them documented deviations: {len(only) - len(unexplained)}")
        for t in sorted(only):
            if explained[t] is not None:
                print(f"     deviation {explained[t]}: {t}")
        for t in unexplained:
            print(f"     UNEXPLAINED: {t}")
        bad += len(unexplained)
    print(f"\n{time.monotonic() - t0:.0f} s in all; logs in {out}")
    # (failed: tests that fail only under txh11, unexplained; passed: the rest)
    print(f"compat: {total - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
