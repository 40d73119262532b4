"""
:class:`Request`, the request class :class:`txh11.web.Site` makes by
default (and exports as ``txh11.web.Request``).

Each method it overrides has a lean path for the common case and otherwise
hands over to twisted.web's own method (an encoder such as gzip, a ``POST``
form, a resource that does not support the method, a ``HEAD``, a
``responseHeaders`` replaced by another kind of object, a producer left
registered at ``finish``, ...), so the outcome is always Twisted's.  The
tests compare the two byte for byte.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional, Union
from urllib.parse import unquote_to_bytes

from twisted.python import components
from twisted.python.failure import Failure
from twisted.web import resource, server
from twisted.web.error import UnsupportedMethod
from twisted.web.http import (
    NO_BODY_CODES,
    NO_CONTENT,
    NOT_MODIFIED,
    datetimeToString,
    parse_qs,
    toChunk,
)
from twisted.web.http_headers import Headers
from twisted.web.iweb import INonQueuedRequestFactory
from twisted.web.server import NOT_DONE_YET
from twisted.web.server import version as _SERVER_VERSION
from zope.interface import provider

from txh11._twisted import emptyHeaders, rawHeaders
from txh11.headers import copyToTwistedHeaders

__all__ = ["Request"]


def _rawHeadersUsable() -> bool:
    """
    Whether the response headers may be read and written through a
    ``Headers``' ``_rawHeaders`` dict (private to Twisted;
    :func:`txh11._twisted.rawHeaders`): only if this
    Twisted keeps each field's values there as a list under the name
    ``getAllRawHeaders`` reports, and reads them back from there.  Otherwise
    every header goes through the public methods.
    """
    try:
        probe = Headers()
        probe.setRawHeaders(b"x-txh11-a", [b"1"])
        probe.setRawHeaders(b"x-txh11-b", [b"2"])
        raw = rawHeaders(probe)
        if type(raw) is not dict or list(raw.items()) != list(probe.getAllRawHeaders()):
            return False
        first, second = raw
        raw[first] = [b"3"]
        raw[b"X-Txh11-C"] = []
        return (
            probe.getRawHeaders(b"x-txh11-a") == [b"3"]
            and probe.getRawHeaders(b"x-txh11-c") is None
            and probe.hasHeader(b"x-txh11-c")
            and [name for name, _ in probe.getAllRawHeaders()] == [first, second, b"X-Txh11-C"]
        )
    except Exception:
        return False


_RAW = _rawHeadersUsable()


def _plainInits() -> bool:
    """
    Whether a Twisted ``Headers()`` only holds an empty ``_rawHeaders``
    dict and ``Componentized.__init__`` only sets an empty
    ``_adapterCache`` dict, so Request.__init__ can set them directly.
    """
    try:
        headers = Headers()
        if type(headers).__slots__ != ["_rawHeaders"] or rawHeaders(headers) != {}:
            return False

        class Probe(components.Componentized):
            pass

        probe = Probe()
        state = vars(probe)
        return state == {"_adapterCache": {}} and type(state["_adapterCache"]) is dict
    except Exception:
        return False


_PLAIN_INITS = _plainInits()

#: a header name as given to setHeader -> the key Twisted's Headers files
#: it under (only names Twisted accepted; empty if _RAW is false)
_keys: dict[Union[bytes, str], bytes] = {}
_KEYS_LIMIT = 1024


def _learnKey(name: Union[bytes, str]) -> bytes:
    """Remember (and return) the key of a header name Twisted accepts."""
    probe = Headers()
    probe.setRawHeaders(name, [b""])
    ((key, _),) = probe.getAllRawHeaders()
    if _RAW and len(_keys) < _KEYS_LIMIT:
        _keys[name] = key
    return key


_SERVER = _learnKey(b"Server")
_DATE = _learnKey(b"Date")
_CONTENT_TYPE = _learnKey(b"Content-Type")
_CONTENT_LENGTH = _learnKey(b"Content-Length")
_TRANSFER_ENCODING = _learnKey(b"Transfer-Encoding")
_LAST_MODIFIED = _learnKey(b"Last-Modified")
for _name in (b"content-type", b"content-length", b"location", b"cache-control"):
    _learnKey(_name)

#: short header values seen without CR or LF (which Twisted's Headers
#: would replace): applications set the same few values over and over
_plainValues: set[bytes] = set()
_PLAIN_VALUES_LIMIT = 1024
_PLAIN_VALUE_SIZE = 256
_lineBreak = re.compile(rb"[\r\n]").search


def _isPlain(value: bytes) -> bool:
    """Whether a header value has no line break (and remember it if so)."""
    if _lineBreak(value) is not None:
        return False
    if len(value) <= _PLAIN_VALUE_SIZE:
        if len(_plainValues) >= _PLAIN_VALUES_LIMIT:
            _plainValues.clear()
        _plainValues.add(value)
    return True


#: Twisted's Resource.render, and the render_<METHOD> name of the usual
#: methods (any other goes through Resource.render)
_resourceRender = resource.Resource.render
_renderNames = {
    method: "render_" + method.decode("ascii")
    for method in (b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS")
}

#: statuses Twisted's Request sends without a default Content-Type
_NO_CONTENT_TYPE = (NOT_MODIFIED, NO_CONTENT)

# Which resources wrap their output in an encoder (EncodingResourceWrapper,
# e.g. gzip) is marked by an interface private to Twisted, with no public
# way to ask.  Without it (another Twisted) process() is Twisted's own.
_IEncodingResource: Any = getattr(resource, "_IEncodingResource", None)


class _OnFirstUse:
    """
    An instance attribute computed by ``build(instance)`` the first time it
    is read, then kept in the instance: later reads and writes do not come
    here.
    """

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = self.build(instance)
        setattr(instance, self.name, value)
        return value


class _LazyContent:
    """
    ``content`` of a request that has no body, made (by ``gotLength(0)``)
    when first read; once the request is cleaned up it is ``None``, as
    twisted.web's class default.
    """

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        if instance.lazyContent:
            instance.lazyContent = False
            instance.gotLength(0)
            return instance.content
        return None


class _Replay:
    """
    What a resource's ``render`` did (returned or raised), for Twisted's own
    ``Request.render`` to deal with: the first ``render`` gives it back, any
    later one (a ``HEAD`` answered with ``GET``) asks the resource itself.
    Looks like the resource in messages and error pages.
    """

    _UNSET: Any = object()

    def __init__(self, resrc: Any, outcome: Any) -> None:
        self._resource = resrc
        self._outcome = outcome

    def render(self, request: Any) -> Any:
        outcome, self._outcome = self._outcome, self._UNSET
        if outcome is self._UNSET:
            return self._resource.render(request)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resource, name)

    def __repr__(self) -> str:
        return repr(self._resource)

    def __str__(self) -> str:
        return str(self._resource)


@provider(INonQueuedRequestFactory)
class Request(server.Request):
    """
    The default ``requestFactory`` of :class:`txh11.web.Site`: a
    :class:`twisted.web.server.Request` that answers exactly as Twisted's
    does (sessions, ``redirect``, ``prePathURL``, error pages, ``HEAD``,
    ``NOT_DONE_YET``, ``notifyFinish``, producers, ``static.File``,
    ``WSGIResource``, Klein and ``twisted.web.proxy`` all work unchanged)
    with less work per request:

    - ``requestHeaders`` is made from the received head when first used, and
      ``received_cookies`` is parsed when first used, from the head as
      received (so what it holds is what Twisted's parse on arrival gives);
    - the query is parsed only when the URI has one, the request's
      ``Content-Type`` looked at only when a ``POST`` has a body;
    - ``Server`` and ``Date`` are set once, without ``setHeader``; the ``Date``
      value comes from the server's per-second cache, on the site's
      ``reactor`` clock (twisted.web's reads the system clock);
    - ``setHeader`` stores a ``bytes`` value without line breaks under a header
      name it has seen before directly, and the response head reaches the
      channel as a list of pairs.

    Subclass it like twisted.web's ``Request``; a ``requestFactory`` that is
    any other ``twisted.web.server.Request`` (subclass) works as well.
    """

    #: the core's headers of the received head (set by a txh11 channel;
    #: None on any other channel)
    coreFields: Any = None
    #: set by the channel for a request without a body: content is then
    #: made when first read
    lazyContent = False
    content = _LazyContent()  # type: ignore[assignment]
    _parsePOSTFormSubmission: Optional[bool] = None  # type: ignore[assignment]
    #: set by the channel when the site trusts the proxy that sent the
    #: request: whether the client used TLS (``None``: the connection says)
    forwardedSecure: Optional[bool] = None

    def __init__(
        self,
        channel: Any,
        queued: bool = False,
        *,
        parsePOSTFormSubmission: Optional[bool] = None,
    ) -> None:
        # The attributes twisted.web's Request sets, but requestHeaders and
        # received_cookies, which are made on first use.
        self.notifications = []
        self.channel = channel
        facts = getattr(channel, "_requestFacts", None)  # a txh11 WebChannel's
        if facts is None:
            self.client = channel.getPeer()
            self.host = channel.getHost()
            self.transport = channel.transport
        else:
            self.client, self.host, self.transport = facts
        if _PLAIN_INITS:  # what Headers() does
            self.responseHeaders = emptyHeaders()
        else:
            self.responseHeaders = Headers()
        self.cookies = []
        self.queued = queued
        # State that twisted.web's Request leaves to class attributes until
        # it changes, and reads several times for every request: CPython
        # 3.11 only specialises reads of instance attributes.  (Not more of
        # them: past 29 attributes an instance gets a dict of its own.)
        self.startedWriting = 0
        self.finished = 0
        self._disconnected = False
        self._encoder = None
        if parsePOSTFormSubmission is not None:
            self._parsePOSTFormSubmission = parsePOSTFormSubmission
        if _PLAIN_INITS:  # what Componentized.__init__ does
            self._adapterCache = {}
        else:
            components.Componentized.__init__(self)

    def isSecure(self) -> bool:
        """Whether the client used TLS: see ``forwardedSecure``."""
        secure = self.forwardedSecure
        return super().isSecure() if secure is None else secure

    @_OnFirstUse
    def requestHeaders(self) -> Headers:  # type: ignore[override]
        """All received request headers (a Twisted ``Headers``)."""
        headers = Headers()
        if self.coreFields is not None:
            copyToTwistedHeaders(self.coreFields, headers)
        return headers

    @_OnFirstUse
    def received_cookies(self) -> dict[bytes, bytes]:  # type: ignore[override]
        """The request's cookies, name to value."""
        self.received_cookies = {}  # where parseCookies puts them
        self.parseCookies()
        return self.received_cookies

    def parseCookies(self) -> None:
        """
        Add the cookies of the received ``Cookie`` headers to
        ``received_cookies``: ``name=value`` pairs separated by ``;``, leading
        whitespace ignored, pairs without ``=`` skipped, a later pair winning.
        """
        fields = self.coreFields
        if fields is None:
            super().parseCookies()
            return
        cookies = self.received_cookies
        for name, value in fields:
            if name == b"cookie" and value:
                for pair in value.split(b";"):
                    cookie, eq, cookieValue = pair.lstrip().partition(b"=")
                    if eq:
                        cookies[cookie] = cookieValue

    def getStateToCopyFor(self, issuer: Any) -> Any:
        # Perspective Broker copies the instance __dict__: have them in it.
        self.requestHeaders, self.received_cookies, self.content  # noqa: B018
        return super().getStateToCopyFor(issuer)

    # -- from the channel ------------------------------------------------

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        content: Any = None if self.lazyContent else self.content
        if content is not None and content.tell():
            if command == b"POST":
                # perhaps a form for args: Twisted's own code
                if self._parsePOSTFormSubmission is None:
                    # (Twisted's Site keeps its setting privately)
                    site = self.channel.site  # type: ignore[attr-defined]
                    self._parsePOSTFormSubmission = getattr(
                        site, "_parsePOSTFormSubmission", True
                    )
                super().requestReceived(command, path, version)
                return
            content.seek(0, 0)
        self.method = command
        self.uri = path
        self.clientproto = version
        # (not `b"?" in path`: on CPython 3.11 a bytes containment test
        # first fails to read its operand as an integer, at the cost of an
        # exception)
        base, question, query = path.partition(b"?")
        if question:
            self.path = base
            self.args = parse_qs(query, 1)
        else:
            self.path = path
            self.args = {}  # type: ignore[assignment]
        self.process()

    def process(self) -> None:
        path = self.path
        if path == b"*" or _IEncodingResource is None:
            super().process()
            return
        channel: Any = self.channel
        self.site = site = channel.site
        if self.coreFields is None:  # not from a txh11 WebChannel
            date = datetimeToString()
        else:  # the server's per-second cache, on its clock
            date = channel.protocol.date()
        headers = self.responseHeaders
        if _RAW and type(headers) is Headers:
            raw = rawHeaders(headers)
            raw[_SERVER] = [_SERVER_VERSION]
            raw[_DATE] = [date]
        else:
            headers.setRawHeaders(b"Server", [_SERVER_VERSION])
            headers.setRawHeaders(b"Date", [date])
        self.prepath = []
        segments = path[1:].split(b"/")
        if path.count(b"%"):
            segments = list(map(unquote_to_bytes, segments))
        self.postpath = segments
        try:
            resrc = site.getResourceFor(self)
            if _IEncodingResource.providedBy(resrc):
                encoder = resrc.getEncoder(self)
                if encoder is not None:
                    self._encoder = encoder
            self.render(resrc)
        except BaseException:
            self.processingFailed(Failure())

    def render(self, resrc: Any) -> None:
        try:
            # Resource.render, when the resource has Twisted's own: its
            # render_<METHOD>, the name looked up without nativeString
            name = _renderNames.get(self.method) if type(resrc).render is _resourceRender else None
            if name is not None:
                method = getattr(resrc, name, None)
                body = method(self) if method else resrc.render(self)
            else:
                body = resrc.render(self)
        except UnsupportedMethod as e:
            super().render(_Replay(resrc, e))
            return
        if body is NOT_DONE_YET:
            return
        if type(body) is not bytes or self.method == b"HEAD":
            super().render(_Replay(resrc, body))
            return
        headers = self.responseHeaders
        if _RAW and type(headers) is Headers and type(self).setHeader is _setHeader:
            # what setHeader does with it
            rawHeaders(headers)[_CONTENT_LENGTH] = [b"%d" % len(body)]
        else:
            self.setHeader(b"Content-Length", b"%d" % len(body))
        self.write(body)
        self.finish()

    # -- response --------------------------------------------------------

    def setHeader(self, name: Union[bytes, str], value: Union[bytes, str]) -> None:
        headers = self.responseHeaders
        key = _keys.get(name)
        if (
            key is not None
            and type(value) is bytes
            and type(headers) is Headers
            and (value in _plainValues or _isPlain(value))
        ):
            rawHeaders(headers)[key] = [value]
            return
        headers.setRawHeaders(name, [value])
        if key is None and _RAW and len(_keys) < _KEYS_LIMIT:
            _learnKey(name)

    def write(self, data: bytes) -> None:
        if self.startedWriting:
            if (
                self.finished
                or self._disconnected
                or self._encoder is not None
                or self.chunked
                or self._inFakeHead
            ):
                super().write(data)
                return
            self.sentLength = self.sentLength + len(data)
            if data:
                self.channel.write(data)
            return
        if not self._writeHead(data):
            super().write(data)

    def _writeHead(self, data: bytes) -> bool:
        """The first write: the head (and ``data`` with it), as Twisted's
        ``write`` sends it, on the fast path; ``False`` where that path does
        not apply (Twisted's ``write`` then does it all)."""
        headers = self.responseHeaders
        lastModified = self.lastModified
        if (
            not _RAW
            or type(headers) is not Headers
            or self.coreFields is None  # another channel (HTTP/2's H2Stream...)
            or self._inFakeHead
            or self._encoder is not None
            or self.finished
            or self._disconnected
            or (lastModified is not None and _LAST_MODIFIED in rawHeaders(headers))
        ):
            return False
        raw = rawHeaders(headers)
        code = self.code
        bodiless = self._finalHeaders(headers, raw, code, lastModified)
        # (a loop here costs less than a comprehension's own frame, and a
        # field's one value is taken without a loop)
        items = []
        for name, values in raw.items():
            if len(values) == 1:
                items.append((name, values[0]))
            else:
                for value in values:
                    items.append((name, value))
        channel: Any = self.channel
        if self.coreFields is not None:
            # a txh11 WebChannel: the status as a number, and the data along
            dated = bool(raw.get(_DATE))
            if bodiless:
                channel.writeHead(code, self.code_message, items, b"", dated)
                self.write = _ignore  # type: ignore[method-assign]
                return True
            self.sentLength = self.sentLength + len(data)
            channel.writeHead(code, self.code_message, items, data, dated)
            return True
        channel.writeHeaders(self.clientproto, b"%d" % code, self.code_message, items)
        if bodiless:
            self.write = _ignore  # type: ignore[method-assign]
            return True
        self.sentLength = self.sentLength + len(data)
        if data:
            if self.chunked:
                channel.writeSequence(toChunk(data))
            else:
                channel.write(data)
        return True

    def _finalHeaders(self, headers: Headers, raw: dict, code: int, lastModified: Any) -> bool:
        """Add what Twisted's ``write`` adds to the response headers before
        the head goes (Content-Type, Transfer-Encoding, Last-Modified, ETag,
        Set-Cookie) and mark the writing started; whether the response has
        no body (HEAD, 1xx, 204, 304)."""
        length = raw.get(_CONTENT_LENGTH)
        if code not in _NO_CONTENT_TYPE and not raw.get(_CONTENT_TYPE):
            contentType = self.defaultContentType
            if contentType is not None and not (length and length[0] == b"0"):
                headers.setRawHeaders(_CONTENT_TYPE, [contentType])
        self.startedWriting = 1
        bodiless = self.method == b"HEAD" or code in NO_BODY_CODES
        if self.clientproto == b"HTTP/1.1" and not length and not bodiless:
            raw[_TRANSFER_ENCODING] = [b"chunked"]
            if self.coreFields is None:  # (on a txh11 channel the core frames the body)
                self.chunked = 1
        if lastModified is not None:
            raw[_LAST_MODIFIED] = [datetimeToString(lastModified)]
        if self.etag is not None:
            headers.setRawHeaders(b"ETag", [self.etag])
        if self.cookies:
            headers.setRawHeaders(b"Set-Cookie", self.cookies)
        return bodiless

    def finish(self) -> None:
        if (
            self._encoder is not None
            or self._disconnected
            or self.finished
            or self.producer
        ):
            super().finish()
            return
        if not self.startedWriting:
            self.write(b"")
        channel = self.channel
        if self.chunked:
            channel.write(b"0\r\n\r\n")
        factory = getattr(channel, "factory", None)
        if factory is not None:
            factory.log(self)
        self.finished = 1
        if self.queued:
            return
        # what twisted.web's Request does when the response is complete
        channel.requestDone(self)
        del self.channel
        if self.lazyContent:
            self.lazyContent = False  # never made; None from now on
        else:
            content = self.content
            if content is not None:
                try:
                    content.close()
                except OSError:
                    pass
                del self.content
        if self.notifications:
            for d in self.notifications:
                d.callback(None)
            self.notifications = []


_setHeader = Request.setHeader


def _ignore(data: bytes) -> None:
    """``write`` once the head of a response without a body is sent."""
