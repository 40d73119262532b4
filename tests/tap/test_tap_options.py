"""txh11.tap.Options: defaults, conversions, and every configuration error."""

import sys

import pytest
import trustme
from twisted.internet.testing import MemoryReactor
from twisted.python import usage
from twisted.web.resource import IResource
from twisted.web.static import File

from txh11 import tap
from txh11.forwarded import parseTrustedProxies
from txh11.tap._echo import EchoResource
from txh11.tap._static import PublicFile


def parse(*args, reactor=None):
    options = tap.Options(reactor=reactor or MemoryReactor())
    options.parseOptions(list(args))
    return options


@pytest.fixture(autouse=True)
def inTmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # --wsgi/--class may add the cwd
    return tmp_path


def test_defaults(tmp_path):
    options = parse()
    assert options["listen"] == ["tcp:8080:interface=127.0.0.1"]
    assert options["default-listen"]
    assert options["what"] == "path"
    assert options["path"] == str(tmp_path)
    assert isinstance(options["root"], PublicFile)
    assert not options["show-hidden"]
    assert options["idle-timeout"] == 60
    assert options["header-timeout"] == 20
    assert options["body-timeout"] == 60
    assert options["max-header-size"] == 16 * 1024
    assert options["max-body-size"] is None
    assert options["shutdown-timeout"] == 30
    assert options["workers"] == 1
    assert options["access-log"] is None
    settings = options.settings()
    assert (settings.idleTimeout, settings.maxHeaderSize, settings.maxBodySize) == (60, 16384, None)


def test_listen_repeats_and_values_convert():
    options = parse(
        "--listen", "tcp:1234", "--listen", "unix:/tmp/x.sock", "--echo",
        "--idle-timeout", "0", "--header-timeout", "2.5", "--max-body-size", "10M",
        "--max-header-size", "8KiB", "--workers", "3", "--shutdown-timeout", "none",
    )
    assert options["listen"] == ["tcp:1234", "unix:/tmp/x.sock"]
    assert not options["default-listen"]
    assert isinstance(options["root"], EchoResource)
    assert options["idle-timeout"] is None
    assert options["header-timeout"] == 2.5
    assert options["max-body-size"] == 10 * 1024 * 1024
    assert options["max-header-size"] == 8 * 1024
    assert options["workers"] == 3
    assert options["shutdown-timeout"] is None
    assert options.argv[:2] == ["--listen", "tcp:1234"]


@pytest.mark.parametrize(
    "text, value",
    [("0", None), ("none", None), ("512", 512), ("64k", 65536), ("64K", 65536), ("1M", 1 << 20),
     ("2MiB", 2 << 20), ("1g", 1 << 30), ("3 kb", 3072)],
)
def test_parseSize(text, value):
    assert tap.parseSize(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1", "1.5k", "1X"])
def test_parseSize_rejects(text):
    with pytest.raises(ValueError):
        tap.parseSize(text)


@pytest.mark.parametrize("text, value", [("0", None), ("off", None), ("2.5", 2.5), ("30", 30.0)])
def test_parseSeconds(text, value):
    assert tap.parseSeconds(text) == value


@pytest.mark.parametrize("text", ["-1", "soon", "nan", "inf"])
def test_parseSeconds_rejects(text):
    with pytest.raises(ValueError):
        tap.parseSeconds(text)


def test_what_to_serve_is_exclusive():
    with pytest.raises(usage.UsageError, match="choose one of") as info:
        parse("--echo", "--path", ".")
    assert not isinstance(info.value, tap.ConfigurationError)


def configError(*args, reactor=None):
    options = tap.Options(reactor=reactor or MemoryReactor())
    with pytest.raises(tap.ConfigurationError) as info:
        options.parseOptions(list(args))
    message = str(info.value)
    assert "\n" not in message
    # twistd prints the usage before the error: it is one hint line, not the option list
    assert options.getUsage() == "Run 'twistd txh11 --help' for the options."
    return message


def test_bad_values_name_the_option():
    assert configError("--max-body-size", "lots").startswith("--max-body-size 'lots': not a size")
    assert configError("--workers", "0").startswith("--workers '0'")
    assert configError("--idle-timeout", "soon").startswith("--idle-timeout 'soon'")
    assert configError("--max-header-size", "0").startswith("--max-header-size '0'")


def test_missing_directory():
    assert configError("--path", "/no/such/dir") == "--path '/no/such/dir': no such file or directory"


def test_bad_endpoints():
    assert "not a valid endpoint string" in configError("--listen", "tcp:notaport")
    assert "Unknown endpoint type: 'nope'" in configError("--listen", "nope:1")


def test_certificates(tmp_path):
    from twisted.internet import reactor  # ssl: needs a real reactor only to parse

    message = configError("--listen", "ssl:0:privateKey=/no/key.pem", reactor=reactor)
    assert "/no/key.pem" in message and "No such file" in message

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    assert str(garbage) in configError("--listen", f"ssl:0:privateKey={garbage}", reactor=reactor)

    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    key, chain = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    parse("--listen", f"ssl:0:privateKey={key}:certKey={chain}", "--echo", reactor=reactor)


def test_wsgi(tmp_path):
    (tmp_path / "tap_test_wsgiapp.py").write_text(
        "def app(environ, start_response):\n    return []\nnotCallable = 3\n"
        "broken = None\n"
    )
    (tmp_path / "tap_test_broken.py").write_text("import no_such_module_at_all\n")
    options = parse("--wsgi", "tap_test_wsgiapp.app")
    assert options["what"] == "wsgi" and callable(options["wsgi-app"])
    assert "not callable" in configError("--wsgi", "tap_test_wsgiapp.notCallable")
    message = configError("--wsgi", "tap_test_broken.app")
    assert "cannot load the application" in message and "no_such_module_at_all" in message
    assert "cannot load" in configError("--wsgi", "no_such_package_xyz.app")


def test_class(tmp_path):
    (tmp_path / "tap_test_resources.py").write_text(
        "from twisted.web.resource import Resource\n"
        "class Good(Resource):\n    isLeaf = True\n"
        "class NotAResource:\n    pass\n"
        "class Raises(Resource):\n    def __init__(self):\n        raise RuntimeError('boom')\n"
    )
    assert IResource.providedBy(parse("--class", "tap_test_resources.Good")["root"])
    assert "does not provide IResource" in configError("--class", "tap_test_resources.NotAResource")
    assert "RuntimeError: boom" in configError("--class", "tap_test_resources.Raises")
    assert "--class 'nope.Nope'" in configError("--class", "nope.Nope")


def test_resource_script(tmp_path):
    (tmp_path / "good.rpy").write_text(
        "from twisted.web.static import Data\nresource = Data(b'hi', 'text/plain')\n"
    )
    (tmp_path / "none.rpy").write_text("x = 1\n")
    (tmp_path / "raises.rpy").write_text("raise ValueError('bad script')\n")
    options = parse("--resource-script", "good.rpy")
    assert options["resource-script"] == str(tmp_path / "good.rpy")
    assert IResource.providedBy(options["root"])
    assert "defines no IResource" in configError("--resource-script", "none.rpy")
    assert "bad script" in configError("--resource-script", "raises.rpy")
    assert "no such file" in configError("--resource-script", "missing.rpy")


def test_access_log(tmp_path):
    assert parse("--access-log", "-")["access-log"] == "-"
    assert parse("--access-log", "logs.txt")["access-log"] == str(tmp_path / "logs.txt")
    assert "no such directory" in configError("--access-log", "/no/such/dir/access.log")
    (tmp_path / "adir").mkdir()
    assert "is a directory" in configError("--access-log", "adir")


def test_option_docs_are_single_spaced():
    options = tap.Options()
    for name, doc in options.docs.items():
        assert "  " not in doc and "\n" not in doc, name
    assert "tcp:8080" in options.docs["listen"]


def test_show_hidden_serves_a_plain_File(tmp_path):
    root = parse("--show-hidden")["root"]
    assert isinstance(root, File) and not isinstance(root, PublicFile)


def test_default_listen_says_how_to_listen_publicly():
    reactor = MemoryReactor()
    options = parse(reactor=reactor)
    tap.makeService(options)
    assert [call[0] for call in reactor.whenRunningHooks] == [tap._sayHowToListenPublicly]
    explicit = parse("--listen", "tcp:0:interface=127.0.0.1", reactor=MemoryReactor())
    tap.makeService(explicit)
    assert explicit.reactor.whenRunningHooks == []


def test_proxy_headers_and_allow_list():
    assert parse().settings().trustedProxies is None
    options = parse("--proxy-headers")
    assert options.settings().trustedProxies == parseTrustedProxies("127.0.0.1")
    options = parse("--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8,::1,unix")
    assert options.settings().trustedProxies.trusts("10.1.2.3")
    assert options.settings().trustedProxies.trusts(None)
    assert parse("--forwarded-allow-ips", "*").settings().trustedProxies is None  # not asked for
    assert "--forwarded-allow-ips 'localhost'" in configError("--forwarded-allow-ips", "localhost")
