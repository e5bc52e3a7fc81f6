"""signalchain on the web: a JSON API over HTTP (``signalchain serve``, the ``web`` extra).

:func:`signalchain.web.api.create_app` builds the ASGI application; the page itself comes in
a later version.
"""
