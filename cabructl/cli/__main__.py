"""``python -m cabructl.cli``: the same as the ``cabructl`` console script."""

from cabructl.cli import main

main()
