"""``python -m signalchain.cli``: the same as the ``signalchain`` command."""

from signalchain.cli import main

main()
