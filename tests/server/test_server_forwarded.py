"""txh11.forwarded: the allow-list, and what proxy headers say, from whom."""

import pytest

from txh11.forwarded import Forwarded, TrustedProxies, forwardedFor, parseTrustedProxies

LOCAL = parseTrustedProxies("127.0.0.1")


def h(*pairs):
    return [(name.lower().encode(), value.encode()) for name, value in pairs]


@pytest.mark.parametrize(
    "text, host, trusted",
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("127.0.0.1", "::ffff:127.0.0.1", True),  # from a tcp6 socket
        ("10.0.0.0/8, ::1", "10.20.30.40", True),
        ("10.0.0.0/8, ::1", "::1", True),
        ("10.0.0.0/8, ::1", "11.0.0.1", False),
        ("fd00::/8", "fd12::5", True),
        ("fd00::/8", "fe80::1", False),
        ("*", "203.0.113.9", True),
        ("*", None, True),
        ("unix", None, True),
        ("127.0.0.1", None, False),
        ("127.0.0.1", "not-an-ip", False),
    ],
)
def test_trusts(text, host, trusted):
    assert parseTrustedProxies(text).trusts(host) is trusted


@pytest.mark.parametrize("text", ["", " , ", "localhost", "10.0.0.0/33", "1.2.3.4.5"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parseTrustedProxies(text)


def test_untrusted_peer_is_ignored():
    headers = h(("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"))
    assert forwardedFor(parseTrustedProxies("10.0.0.1"), "127.0.0.1", headers) is None
    assert forwardedFor(LOCAL, None, headers) is None  # a UNIX peer, not allowed


def test_x_forwarded_for_and_proto():
    headers = h(("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"))
    assert forwardedFor(LOCAL, "127.0.0.1", headers) == Forwarded("203.0.113.7", 0, True)
    headers = h(("X-Forwarded-For", "[2001:db8::1]:4711"), ("X-Forwarded-Proto", "http"))
    assert forwardedFor(LOCAL, "127.0.0.1", headers) == Forwarded("2001:db8::1", 4711, False)


def test_hops_read_right_to_left_through_trusted_proxies_only():
    trusted = parseTrustedProxies("127.0.0.1, 10.0.0.0/8")
    # the client claims to be 1.1.1.1; the proxy at 10.0.0.5 appended the real one
    headers = h(("X-Forwarded-For", "1.1.1.1, 198.51.100.2"), ("X-Forwarded-For", "10.0.0.5"))
    assert forwardedFor(trusted, "127.0.0.1", headers).host == "198.51.100.2"
    # every hop trusted: the leftmost
    assert forwardedFor(trusted, "127.0.0.1", h(("X-Forwarded-For", "10.1.1.1, 10.0.0.5"))).host == "10.1.1.1"
    everyone = parseTrustedProxies("*")
    assert forwardedFor(everyone, "192.0.2.1", headers).host == "1.1.1.1"


def test_an_unreadable_hop_stops_the_walk():
    assert forwardedFor(LOCAL, "127.0.0.1", h(("X-Forwarded-For", "unknown"))) is None
    headers = h(("X-Forwarded-For", "198.51.100.2, garbage, 127.0.0.1"))
    assert forwardedFor(LOCAL, "127.0.0.1", headers).host == "127.0.0.1"


def test_proto_alone_and_the_nearest_proto_counts():
    assert forwardedFor(LOCAL, "127.0.0.1", h(("X-Forwarded-Proto", "https"))) == Forwarded(None, 0, True)
    headers = h(("X-Forwarded-For", "198.51.100.2"), ("X-Forwarded-Proto", "https, http"))
    assert forwardedFor(LOCAL, "127.0.0.1", headers).secure is False
    assert forwardedFor(LOCAL, "127.0.0.1", h(("X-Forwarded-Proto", "gopher"))) is None
    assert forwardedFor(LOCAL, "127.0.0.1", h(("Host", "x"))) is None


def test_rfc7239_forwarded():
    headers = h(("Forwarded", 'for=198.51.100.2;proto=https;by=10.0.0.1, for="[2001:db8::7]:80"'))
    # the right element is not trusted: it is the client, with its own proto (none)
    assert forwardedFor(LOCAL, "127.0.0.1", headers) == Forwarded("2001:db8::7", 80, None)
    trusted = parseTrustedProxies("127.0.0.1, 2001:db8::/32")
    assert forwardedFor(trusted, "127.0.0.1", headers) == Forwarded("198.51.100.2", 0, True)
    assert forwardedFor(LOCAL, "127.0.0.1", h(("Forwarded", "for=_hidden;proto=https"))) is None
    assert forwardedFor(LOCAL, "127.0.0.1", h(("Forwarded", "proto=https"))) is None


def test_x_forwarded_for_wins_over_forwarded():
    headers = h(("Forwarded", "for=192.0.2.60"), ("X-Forwarded-For", "198.51.100.2"))
    assert forwardedFor(LOCAL, "127.0.0.1", headers).host == "198.51.100.2"


def test_trusted_proxies_compare_by_value():
    assert parseTrustedProxies("127.0.0.1") == parseTrustedProxies(" 127.0.0.1 ")
    assert TrustedProxies() != LOCAL
