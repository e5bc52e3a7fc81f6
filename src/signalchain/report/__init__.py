"""Presentation: the one place where signalchain's results become words, tables and JSON.

The library computes data (:mod:`signalchain.results`, :mod:`signalchain.findings`, tune
notes, advise points); each module here renders the same facts for people (rich text) and
programs (JSON), so the CLI and later the HTML report and the web page cannot disagree.
"""
