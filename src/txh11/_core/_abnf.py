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

# field-vchar = VCHAR / obs-text (RFC 9110 5.5), widened as h11 widens it for
# compatibility: every byte but NUL and whitespace (SP, HTAB, CR, LF, VT,
# FF), so that other control bytes may stand inside or at either end of a
# value; a value has no leading or trailing whitespace and only SP and HTAB
# between its visible bytes. NUL, CR and LF stay refused: they are what
# could split or end a header line.
_FIELD_VCHAR = rb"\x01-\x08\x0e-\x1f\x21-\xff"
_FIELD_CHAR = rb"\x01-\x09\x0e-\xff"  # a field-vchar, SP or HTAB
field_value_re = re.compile(rb"(?:[" + _FIELD_VCHAR + rb"](?:[" + _FIELD_CHAR + rb"]*[" + _FIELD_VCHAR + rb"])?)?")
# The characters a received value may contain before its OWS is stripped.
field_value_chars_re = re.compile(rb"[" + _FIELD_CHAR + rb"]*")
#: The same set as bytes, for ``bytes.translate`` checks.
FIELD_VALUE_BYTES = bytes([*range(0x01, 0x0A), *range(0x0E, 0x100)])

method_re = token_re
# request-target: visible ASCII only (RFC 9112 3.2, RFC 3986 2): no SP, CTL,
# DEL or bytes >= 0x80 (percent-encode them), as h11 has it.
target_re = re.compile(rb"[\x21-\x7e]+")
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
