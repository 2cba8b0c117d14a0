"""Write docker compose's ``.env`` from ``.env.example``: every empty value becomes a random
password of its own (0600 from the first byte), so no two services share one and none is
a value published in this repository. An existing ``.env`` is never overwritten.

    python -m ops.stack.compose_env [--example .env.example] [--out .env]
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from inkstream.secure_files import create_private

__all__ = ["render", "write"]

ROOT = Path(__file__).resolve().parents[2]


def render(example: str) -> str:
    """``example`` with a fresh random value for each ``NAME=`` line without one."""
    out = []
    for line in example.splitlines():
        name, eq, value = line.partition("=")
        if eq and not line.lstrip().startswith("#") and not value.strip():
            # URL-safe: it goes into CLICKHOUSE_URL's userinfo unescaped.
            line = f"{name}={secrets.token_urlsafe(24)}"
        out.append(line)
    return "\n".join(out) + "\n"


def write(example: Path, out: Path) -> bool:
    """True when written; False when ``out`` already exists (kept as it is)."""
    try:
        create_private(out, render(example.read_text()).encode())
    except FileExistsError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", type=Path, default=ROOT / ".env.example")
    parser.add_argument("--out", type=Path, default=ROOT / ".env")
    args = parser.parse_args(argv)
    if write(args.example, args.out):
        print(f"wrote {args.out} (0600) with random passwords")
    else:
        print(f"{args.out} exists: kept as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
