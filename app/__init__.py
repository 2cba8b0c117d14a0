"""The application: the ``inkstream`` command (``app.cli``), its commands one module per
area (``app.commands.*``), and the demo with what it drives (supervisor, tracker, the
simulated reviewer and signer). The top layer: it may import every other package; nothing
imports it (``tests/test_layers.py``)."""
