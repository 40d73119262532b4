"""The plugin file: an IServiceMaker found by twistd, loading txh11.tap lazily."""

import subprocess
import sys

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin, getPlugins
from zope.interface.verify import verifyObject


def test_plugin_provides_IServiceMaker_and_IPlugin():
    from twisted.plugins import txh11_plugin

    maker = txh11_plugin.txh11
    verifyObject(IServiceMaker, maker)
    verifyObject(IPlugin, maker)
    assert maker.tapname == "txh11"
    assert maker.description

    from txh11 import tap

    assert maker.options is tap.Options
    assert maker.makeService is tap.makeService


def test_getPlugins_finds_it():
    import twisted.plugins

    names = {p.tapname for p in getPlugins(IServiceMaker, twisted.plugins)}
    assert "txh11" in names


def test_plugin_module_is_lazy():
    code = (
        "import sys, twisted.plugins.txh11_plugin as p; "
        "assert 'txh11.tap' not in sys.modules, 'imported eagerly'; "
        "assert 'txh11.web' not in sys.modules; "
        "p.txh11.options; assert 'txh11.tap' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
