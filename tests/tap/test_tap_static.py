"""txh11.tap._static.PublicFile: hidden names are absent, at any depth."""

from twisted.web.static import File
from twisted.web.test.requesthelper import DummyRequest

from txh11.tap._static import PublicFile, isHidden


def test_isHidden():
    assert isHidden(".git") and isHidden(b".env") and isHidden("..")
    assert not isHidden("a.b") and not isHidden(b"") and not isHidden("index.html")


def _tree(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("secret")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".env").write_text("secret")
    (tmp_path / "a" / "page.txt").write_text("page")
    return PublicFile(str(tmp_path))


def test_hidden_children_are_not_found_at_any_depth(tmp_path):
    root = _tree(tmp_path)
    request = DummyRequest([b""])
    assert root.getChild(b".git", request) is root.childNotFound
    a = root.getChild(b"a", request)
    assert isinstance(a, PublicFile)
    assert a.getChild(b".env", request) is a.childNotFound
    assert a.getChild(b"page.txt", request).path == str(tmp_path / "a" / "page.txt")


def test_listings_leave_hidden_names_out(tmp_path):
    root = _tree(tmp_path)
    assert root.listNames() == ["a"]
    assert root.getChild(b"a", DummyRequest([b""])).listNames() == ["page.txt"]
    assert File(str(tmp_path)).listNames() == [".git", "a"]
