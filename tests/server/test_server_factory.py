"""HTTP11ServerFactory: settings and the protocols it builds."""

import pytest

from txh11.server import HTTP11ServerFactory, HTTP11ServerProtocol

from tests._support.server import hello


def test_settings_are_class_attributes_of_the_protocols_built():
    factory = HTTP11ServerFactory(hello, None, idleTimeout=5.0, maxBodySize=10)
    p = factory.buildProtocol(None)
    assert isinstance(p, HTTP11ServerProtocol)
    assert type(p).__name__ == "HTTP11ServerProtocol"
    assert (p.idleTimeout, p.maxBodySize) == (5.0, 10)
    assert "idleTimeout" not in vars(p)  # not one more per-connection attribute
    assert p.factory is factory
    assert type(factory.buildProtocol(None)) is type(p)  # made once
    assert HTTP11ServerProtocol.idleTimeout != 5.0


def test_changed_settings_apply_to_later_protocols():
    factory = HTTP11ServerFactory(hello, None, idleTimeout=5.0)
    first = factory.buildProtocol(None)
    factory.settings["idleTimeout"] = 7.0
    assert factory.buildProtocol(None).idleTimeout == 7.0
    assert first.idleTimeout == 5.0


def test_changed_protocol_class_is_used():
    class Mine(HTTP11ServerProtocol):
        pass

    factory = HTTP11ServerFactory(hello, None, closeTimeout=1.0)
    factory.buildProtocol(None)
    factory.protocol = Mine
    p = factory.buildProtocol(None)
    assert isinstance(p, Mine) and p.closeTimeout == 1.0


def test_without_settings_the_protocol_class_itself():
    assert type(HTTP11ServerFactory(hello).buildProtocol(None)) is HTTP11ServerProtocol


def test_unknown_setting_refused():
    with pytest.raises(TypeError):
        HTTP11ServerFactory(hello, None, idleTimeOut=5)
