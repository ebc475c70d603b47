"""``python -m cabructl``: the same as the ``cabructl`` console script."""

from cabructl.cli import main

main()
