"""``python -m emolens.cli``: the ``emolens`` script."""

from emolens.cli import main

main()
