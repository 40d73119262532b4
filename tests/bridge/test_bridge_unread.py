"""nothingUnread: whether a full close would leave unread input behind."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

import txh11.protocol._socket as P


@pytest.fixture(params=["ioctl", "peek"])
def pair(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[socket.socket, socket.socket]]:
    if request.param == "peek":
        monkeypatch.setattr(P, "ioctl", None)
    elif P.ioctl is None:
        pytest.skip("no fcntl here")
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_empty(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    assert P.nothingUnread(a)


def test_pending_bytes(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.sendall(b"x")
    assert not P.nothingUnread(a)
    assert a.recv(1) == b"x"
    assert P.nothingUnread(a)


def test_only_eof(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.shutdown(socket.SHUT_WR)
    assert P.nothingUnread(a)


def test_bytes_then_eof(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.sendall(b"xy")
    b.shutdown(socket.SHUT_WR)
    assert not P.nothingUnread(a)


def test_closed_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    s = socket.socket()
    s.close()
    assert not P.nothingUnread(s)
