"""Event classes: construction, normalisation, validation, equality, reprs,
finality, and the ProtocolError hierarchy."""

import pytest

import txh11 as h11

EVENT_CLASSES = [
    h11.Request,
    h11.InformationalResponse,
    h11.Response,
    h11.Data,
    h11.EndOfMessage,
    h11.ConnectionClosed,
]

HOST = [("Host", "example.com")]


def make_request(headers=None, **kw):
    return h11.Request(method="GET", target="/", headers=HOST + list(headers or []), **kw)


def send_or_construct_rejects(make_event, setup=None):
    """Some checks may be done at construction or at send(); either way the
    user must get a LocalProtocolError before anything reaches the wire."""
    try:
        event = make_event()
    except h11.LocalProtocolError:
        return
    conn = setup() if setup else h11.Connection(our_role=h11.CLIENT)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(event)


# ---------------------------------------------------------------------------
# Construction and normalisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_event_base_class(cls):
    assert issubclass(cls, h11.Event)


def test_keyword_only_constructors():
    with pytest.raises(TypeError):
        h11.Request("GET", "/", HOST)
    with pytest.raises(TypeError):
        h11.Response(200, [])
    with pytest.raises(TypeError):
        h11.InformationalResponse(100, [])
    with pytest.raises(TypeError):
        h11.Data(b"x")
    with pytest.raises(TypeError):
        h11.EndOfMessage([])


def test_missing_required_fields_is_type_error():
    with pytest.raises(TypeError):
        h11.Request(method="GET", headers=HOST)  # no target
    with pytest.raises(TypeError):
        h11.Data()
    with pytest.raises(TypeError):
        h11.Response(headers=[])  # no status_code


def test_unknown_field_is_type_error():
    with pytest.raises(TypeError):
        h11.Data(data=b"x", bogus=1)
    with pytest.raises(TypeError):
        h11.ConnectionClosed(reason="x")


@pytest.mark.parametrize(
    "convert", [lambda s: s, lambda s: s.encode(), lambda s: bytearray(s.encode()),
                lambda s: memoryview(s.encode())],
    ids=["str", "bytes", "bytearray", "memoryview"],
)
def test_normalisation_to_bytes(convert):
    req = h11.Request(
        method=convert("POST"),
        target=convert("/path?q=1"),
        headers=[(convert("Host"), convert("example.com")),
                 (convert("Content-Type"), convert("text/plain"))],
        http_version=convert("1.1"),
    )
    assert req.method == b"POST" and type(req.method) is bytes
    assert req.target == b"/path?q=1" and type(req.target) is bytes
    assert req.http_version == b"1.1" and type(req.http_version) is bytes
    assert list(req.headers) == [(b"host", b"example.com"), (b"content-type", b"text/plain")]
    for name, value in req.headers:
        assert type(name) is bytes and type(value) is bytes
    resp = h11.Response(
        status_code=200, headers=[(convert("X-Y"), convert("z"))], reason=convert("OK")
    )
    assert resp.reason == b"OK" and type(resp.reason) is bytes
    assert list(resp.headers) == [(b"x-y", b"z")]


def test_header_names_are_lowercased_values_untouched():
    req = make_request([("X-UPPER", "MiXeD Value")])
    assert list(req.headers)[1] == (b"x-upper", b"MiXeD Value")
    assert list(req.headers.raw_items())[1] == (b"X-UPPER", b"MiXeD Value")


def test_headers_accept_any_iterable_of_pairs():
    def gen():
        yield ("Host", "example.com")
        yield ["Accept", "*/*"]

    req = h11.Request(method="GET", target="/", headers=gen())
    assert list(req.headers) == [(b"host", b"example.com"), (b"accept", b"*/*")]
    assert len(req.headers) == 2
    assert req.headers[1] == (b"accept", b"*/*")


def test_a_header_list_given_again_gives_the_same_headers():
    headers = [("Content-Type", "text/plain"), (b"Content-Length", b"3")]
    first = h11.Response(status_code=200, headers=headers)
    again = h11.Response(status_code=200, headers=list(headers))
    assert again.headers == first.headers
    assert again.headers.raw_items() == [(b"Content-Type", b"text/plain"), (b"Content-Length", b"3")]
    assert again.headers.content_length == 3


def test_a_mutable_value_is_read_afresh_each_time():
    value = bytearray(b"1")
    first = h11.Response(status_code=200, headers=[(b"X-N", value)])
    value[:] = b"2"
    again = h11.Response(status_code=200, headers=[(b"X-N", value)])
    assert list(first.headers) == [(b"x-n", b"1")]
    assert list(again.headers) == [(b"x-n", b"2")]


def test_a_writable_memoryview_is_accepted_like_any_bytes_like():
    # hash() of a writable memoryview raises ValueError, not TypeError
    value = memoryview(bytearray(b"1"))
    for headers in ([(b"X-N", value)], ((memoryview(bytearray(b"X-N")), b"2"),)):
        resp = h11.Response(status_code=200, headers=headers)
        assert resp.headers[0][0] == b"x-n"
    assert list(h11.Response(status_code=200, headers=[(b"X-N", value)]).headers) == [(b"x-n", b"1")]


def test_a_list_that_failed_validation_fails_again():
    headers = [(b"Content-Length", b"3"), (b"Content-Length", b"4")]
    for _ in range(2):
        with pytest.raises(h11.LocalProtocolError):
            h11.Response(status_code=200, headers=headers)


def test_repeated_headers_keep_order():
    req = make_request([("Accept", "a"), ("X", "1"), ("accept", "b")])
    assert list(req.headers)[1:] == [(b"accept", b"a"), (b"x", b"1"), (b"accept", b"b")]


def test_defaults():
    assert make_request().http_version == b"1.1"
    assert h11.Response(status_code=200, headers=[]).http_version == b"1.1"
    assert h11.InformationalResponse(status_code=100, headers=[]).http_version == b"1.1"
    assert isinstance(h11.Response(status_code=200, headers=[]).reason, bytes)
    d = h11.Data(data=b"x")
    assert d.chunk_start is False
    assert d.chunk_end is False
    assert list(h11.EndOfMessage().headers) == []


def test_data_chunk_flags_can_be_set():
    d = h11.Data(data=b"x", chunk_start=True, chunk_end=True)
    assert d.chunk_start is True and d.chunk_end is True


def test_data_keeps_the_exact_object():
    class P:
        def __len__(self):
            return 10

    p = P()
    assert h11.Data(data=p).data is p
    b = b"abc"
    assert h11.Data(data=b).data == b"abc"


def test_end_of_message_trailers():
    eom = h11.EndOfMessage(headers=[("X-Checksum", "abc"), ("Expires", "0")])
    assert list(eom.headers) == [(b"x-checksum", b"abc"), (b"expires", b"0")]
    assert list(eom.headers.raw_items()) == [(b"X-Checksum", b"abc"), (b"Expires", b"0")]


def test_response_status_code_is_int():
    r = h11.Response(status_code=404, headers=[])
    assert r.status_code == 404
    assert type(r.status_code) is int


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def test_host_required_for_http11_request():
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method="GET", target="/", headers=[])
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method="GET", target="/", headers=[("User-Agent", "x")])


def test_host_not_required_for_http10_request():
    req = h11.Request(method="GET", target="/", headers=[], http_version="1.0")
    assert list(req.headers) == []


@pytest.mark.parametrize("code", [100, 101, 150, 199])
def test_informational_response_accepts_1xx(code):
    assert h11.InformationalResponse(status_code=code, headers=[]).status_code == code


@pytest.mark.parametrize("code", [0, 99, 200, 404, -100])
def test_informational_response_rejects_non_1xx(code):
    with pytest.raises(h11.LocalProtocolError):
        h11.InformationalResponse(status_code=code, headers=[])


@pytest.mark.parametrize("code", [200, 204, 301, 404, 500, 599, 600, 999])
def test_response_accepts_200_to_999(code):
    assert h11.Response(status_code=code, headers=[]).status_code == code


@pytest.mark.parametrize("code", [0, 99, 100, 101, 199, 1000, 2000, -200])
def test_response_rejects_other_codes(code):
    with pytest.raises(h11.LocalProtocolError):
        h11.Response(status_code=code, headers=[])


@pytest.mark.parametrize(
    "value",
    [b"a\rb", b"a\nb", b"a\r\nb", b"a\x00b", b"a\r\nX-Injected: 1", b"\r\n", b"\x00"],
)
def test_header_value_rejects_cr_lf_nul(value):
    with pytest.raises(h11.LocalProtocolError):
        make_request([("X-Foo", value)])
    with pytest.raises(h11.LocalProtocolError):
        h11.Response(status_code=200, headers=[("X-Foo", value)])
    with pytest.raises(h11.LocalProtocolError):
        h11.EndOfMessage(headers=[("X-Foo", value)])


@pytest.mark.parametrize("value", [b" a", b"a ", b"\ta", b"a\t", b" ", b" a b "])
def test_header_value_rejects_leading_or_trailing_whitespace(value):
    with pytest.raises(h11.LocalProtocolError):
        make_request([("X-Foo", value)])


@pytest.mark.parametrize("value", [b"", b"a b", b"a\tb", b"caf\xc3\xa9", b"\"q\"", b"a,b;c=d"])
def test_header_value_accepts_valid_values(value):
    req = make_request([("X-Foo", value)])
    assert list(req.headers)[1] == (b"x-foo", value)


@pytest.mark.parametrize(
    "name",
    [b"", b"a b", b"a:b", b" a", b"a ", b"a\tb", b"a\x00", b"a\r\nb", b"(x)", b"a\"b",
     b"a/b", b"a\x7f"],
)
def test_bad_header_names_rejected(name):
    with pytest.raises(h11.LocalProtocolError):
        make_request([(name, "v")])


@pytest.mark.parametrize("name", [b"X-Custom", b"x_under", b"!#$%&'*+-.^_`|~0aZ"])
def test_token_header_names_accepted(name):
    req = make_request([(name, "v")])
    assert list(req.headers)[1] == (name.lower(), b"v")


@pytest.mark.parametrize("value", [b"0", b"5", b"0005", b"12345678901234567890"])
def test_content_length_digits_accepted(value):
    req = make_request([("Content-Length", value)])
    assert (b"content-length", value) in list(req.headers) or (
        b"content-length",
        str(int(value)).encode(),
    ) in list(req.headers)


@pytest.mark.parametrize(
    "value", [b"hello", b"-1", b"+5", b"0x5", b"5 5", b"1.0", b"5a", b"", b"1e3", b"\xd9\xa5"]
)
def test_content_length_must_be_digits(value):
    with pytest.raises(h11.LocalProtocolError):
        make_request([("Content-Length", value)])
    with pytest.raises(h11.LocalProtocolError):
        h11.Response(status_code=200, headers=[("Content-Length", value)])


def test_conflicting_content_lengths_rejected():
    send_or_construct_rejects(
        lambda: make_request([("Content-Length", "5"), ("Content-Length", "6")])
    )


@pytest.mark.parametrize("te", ["gzip", "gzip, chunked", "identity", "xchunked"])
def test_unsupported_transfer_encoding_rejected(te):
    def setup():
        conn = h11.Connection(our_role=h11.SERVER)
        conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        conn.next_event()
        conn.next_event()
        return conn

    send_or_construct_rejects(
        lambda: h11.Response(status_code=200, headers=[("Transfer-Encoding", te)]), setup
    )


@pytest.mark.parametrize("method", [b"", b"GE T", b"GET\r\n", b"G(T", b"GET\x00"])
def test_bad_method_rejected(method):
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method=method, target="/", headers=HOST)


@pytest.mark.parametrize("target", [b"", b"/a b", b"/a\r\nb", b"/\x00", b"/\t"])
def test_bad_target_rejected(target):
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method="GET", target=target, headers=HOST)


@pytest.mark.parametrize("reason", [b"O\rK", b"O\nK", b"OK\r\n", b"O\x00K"])
def test_bad_reason_rejected(reason):
    with pytest.raises(h11.LocalProtocolError):
        h11.Response(status_code=200, headers=[], reason=reason)


def test_validation_error_is_local_protocol_error_and_protocol_error():
    with pytest.raises(h11.ProtocolError) as excinfo:
        h11.Request(method="GET", target="/", headers=[])
    assert isinstance(excinfo.value, h11.LocalProtocolError)
    assert not isinstance(excinfo.value, h11.RemoteProtocolError)


# ---------------------------------------------------------------------------
# Finality, equality, repr
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", EVENT_CLASSES)
def test_event_classes_are_final(cls):
    with pytest.raises(TypeError):

        class Sub(cls):  # noqa: F841
            pass


def test_equality():
    assert make_request() == make_request()
    assert make_request() == h11.Request(method=b"GET", target=b"/", headers=[(b"host", b"example.com")])
    assert make_request() != h11.Request(method="POST", target="/", headers=HOST)
    assert make_request() != h11.Request(method="GET", target="/x", headers=HOST)
    assert make_request() != make_request([("X", "y")])
    assert h11.Data(data=b"x") == h11.Data(data=b"x")
    assert h11.Data(data=b"x") != h11.Data(data=b"y")
    assert h11.Data(data=b"x") != h11.Data(data=b"x", chunk_start=True)
    assert h11.EndOfMessage() == h11.EndOfMessage()
    assert h11.EndOfMessage() != h11.EndOfMessage(headers=[("a", "b")])
    assert h11.ConnectionClosed() == h11.ConnectionClosed()
    assert h11.Response(status_code=200, headers=[]) == h11.Response(status_code=200, headers=[])
    assert h11.Response(status_code=200, headers=[]) != h11.Response(status_code=201, headers=[])
    assert h11.Response(status_code=200, headers=[]) != h11.InformationalResponse(
        status_code=100, headers=[]
    )
    assert h11.Data(data=b"") != h11.EndOfMessage()


def test_headers_compare_equal_to_plain_list():
    req = make_request([("X-A", "1")])
    assert list(req.headers) == [(b"host", b"example.com"), (b"x-a", b"1")]
    assert req.headers == [(b"host", b"example.com"), (b"x-a", b"1")]


@pytest.mark.parametrize(
    "event, fields",
    [
        (make_request(), ["method", "target", "headers", "http_version"]),
        (h11.InformationalResponse(status_code=100, headers=[]), ["status_code", "headers"]),
        (h11.Response(status_code=200, headers=[], reason="OK"), ["status_code", "headers", "reason"]),
        (h11.Data(data=b"xyz"), ["data"]),
        (h11.EndOfMessage(headers=[("a", "b")]), ["headers"]),
    ],
)
def test_reprs_mention_field_names(event, fields):
    r = repr(event)
    assert r.startswith(type(event).__name__ + "(")
    for f in fields:
        assert f + "=" in r, (f, r)


def test_repr_shows_values():
    assert "b'xyz'" in repr(h11.Data(data=b"xyz"))
    assert "404" in repr(h11.Response(status_code=404, headers=[]))
    assert repr(h11.ConnectionClosed()).startswith("ConnectionClosed(")


# ---------------------------------------------------------------------------
# The ProtocolError hierarchy
# ---------------------------------------------------------------------------


def test_protocol_error_cannot_be_instantiated_directly():
    with pytest.raises(TypeError):
        h11.ProtocolError("nope")


def test_protocol_error_subclasses():
    assert issubclass(h11.LocalProtocolError, h11.ProtocolError)
    assert issubclass(h11.RemoteProtocolError, h11.ProtocolError)
    assert issubclass(h11.ProtocolError, Exception)
    assert not issubclass(h11.LocalProtocolError, h11.RemoteProtocolError)
    assert not issubclass(h11.RemoteProtocolError, h11.LocalProtocolError)


@pytest.mark.parametrize("cls", [h11.LocalProtocolError, h11.RemoteProtocolError])
def test_error_status_hint(cls):
    e = cls("boom")
    assert e.error_status_hint == 400
    assert "boom" in str(e)
    assert cls("x", 431).error_status_hint == 431
    assert cls("x", error_status_hint=505).error_status_hint == 505
    with pytest.raises(cls):
        raise cls("raised")


def test_user_subclass_of_protocol_error_is_allowed():
    class MyError(h11.ProtocolError):
        pass

    e = MyError("mine")
    assert e.error_status_hint == 400
    assert MyError("mine", 418).error_status_hint == 418
    assert isinstance(e, h11.ProtocolError)
