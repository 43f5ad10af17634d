"""`asbcr`: the staff and integration command line (CONTRACT.md, `asbcr`).

Each area registers its own subcommands, so the decision commands live beside the
rule set and the casework commands beside the casework package.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, List, Optional

from groundwork.errors import CommandError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asbcr",
        description="ASB Case Review: check eligibility, manage applications, publish figures.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    from casework import cli as casework_cli
    from rules import cli as rules_cli

    registrars: List[Callable[[argparse._SubParsersAction], None]] = [rules_cli.register, casework_cli.register]
    for register in registrars:
        register(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as error:
        print(f"asbcr: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
