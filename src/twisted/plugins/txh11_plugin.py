"""The ``twistd txh11`` plugin; everything lives in :mod:`txh11.tap`, loaded lazily."""

from twisted.application.service import ServiceMaker

txh11 = ServiceMaker(
    "txh11",
    "txh11.tap",
    "HTTP/1.1 server on txh11: static files, WSGI, resources, an echo app",
    "txh11",
)
