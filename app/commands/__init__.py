"""The ``inkstream`` subcommands, one module per area, each with ``register(app)``; heavy
imports stay inside the commands so ``inkstream status`` starts fast."""
