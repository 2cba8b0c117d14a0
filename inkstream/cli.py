"""Entry shim only: console scripts installed before the app moved to ``app/`` still
import ``inkstream.cli:main``. ``pip install -e .`` writes them anew (``app.cli:main``);
after that this file can go. Nothing else may import it (tests/test_layers.py)."""


def main() -> None:
    from app.cli import main as run

    run()
