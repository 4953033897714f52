"""``python -m cli`` is the ``brain`` command."""

from cli import main

main()
