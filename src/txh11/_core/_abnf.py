"""Byte-level grammar from RFC 9110/9112, compiled once and shared by the core.

Everything here is a compiled ``re`` pattern over bytes. Patterns are meant for
``fullmatch`` unless their name says otherwise.
"""

import re

__all__ = [
    "TCHAR",
    "TCHAR_BYTES",
    "FIELD_VALUE_BYTES",
    "token_re",
    "field_value_re",
    "field_value_chars_re",
    "method_re",
    "target_re",
    "http_version_re",
    "host_re",
    "reason_re",
    "chunk_ext_re",
]

# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
token_re = re.compile(rb"[" + TCHAR + rb"]+")
#: Every byte a token may hold, for validating many names at once with
#: ``bytes.translate(None, TCHAR_BYTES)`` (what is left over is illegal).
TCHAR_BYTES = bytes(c for c in range(128) if token_re.fullmatch(bytes([c])))

# field-vchar = VCHAR / obs-text; a field value has no leading or trailing
# whitespace and no CTLs other than HTAB inside.
_VCHAR = rb"\x21-\x7e\x80-\xff"
field_value_re = re.compile(rb"(?:[" + _VCHAR + rb"](?:[\t\x20-\x7e\x80-\xff]*[" + _VCHAR + rb"])?)?")
# The characters a received value may contain before its OWS is stripped.
field_value_chars_re = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
#: The same set as bytes, for ``bytes.translate`` checks.
FIELD_VALUE_BYTES = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])

method_re = token_re
# request-target: visible characters only (obs-text tolerated), never SP or CTL.
target_re = re.compile(rb"[" + _VCHAR + rb"]+")
http_version_re = re.compile(rb"[0-9]\.[0-9]")
reason_re = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")

# Host = uri-host [ ":" port ]  (RFC 9110 7.2, RFC 3986 3.2.2)
_UNRESERVED_SUBDELIMS = rb"A-Za-z0-9\-._~!$&'()*+,;="
host_re = re.compile(
    rb"(?:\[[0-9A-Za-z:._~!$&'()*+,;=%\-]+\]"  # IP-literal (IPv6 / IPvFuture)
    rb"|(?:[" + _UNRESERVED_SUBDELIMS + rb"]|%[0-9A-Fa-f]{2})*)"  # IPv4 / reg-name
    rb"(?::[0-9]*)?"
)

# chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
_QUOTED = rb'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
chunk_ext_re = re.compile(
    rb"(?:[ \t]*;[ \t]*[" + TCHAR + rb"]+(?:[ \t]*=[ \t]*(?:[" + TCHAR + rb"]+|" + _QUOTED + rb"))?)*"
)
