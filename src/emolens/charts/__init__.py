"""Charts every layer may draw: matplotlib figures saved as PNG (the ``plots`` extra) and inline SVG charts."""
