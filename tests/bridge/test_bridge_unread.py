"""_nothingUnread: whether a full close would leave unread input behind."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

import txh11.protocol as P


@pytest.fixture(params=["ioctl", "peek"])
def pair(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[socket.socket, socket.socket]]:
    if request.param == "peek":
        monkeypatch.setattr(P, "_ioctl", None)
    elif P._ioctl is None:
        pytest.skip("no fcntl here")
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


def test_empty(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    assert P._nothingUnread(a)


def test_pending_bytes(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.sendall(b"x")
    assert not P._nothingUnread(a)
    assert a.recv(1) == b"x"
    assert P._nothingUnread(a)


def test_only_eof(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.shutdown(socket.SHUT_WR)
    assert P._nothingUnread(a)


def test_bytes_then_eof(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.sendall(b"xy")
    b.shutdown(socket.SHUT_WR)
    assert not P._nothingUnread(a)


def test_closed_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    s = socket.socket()
    s.close()
    assert not P._nothingUnread(s)
