#!/usr/bin/env python3
"""Print `name==version` for every installed distribution the page's server has imported once
each of its routes has run, in the environment of the interpreter that runs this:

    .venv-web/bin/python scripts/web-tier-packages.py > web-tier.txt
    .venv/bin/python scripts/audit.py --pins web-tier.txt --allowlist /dev/null --quiet

This is what the public tier actually exposes; security/audit-*.txt compares it run in Rasa's
.venv (before: the page shared Rasa's environment) and in .venv-web (after).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ASBCR_VAR"] = tempfile.mkdtemp(prefix="asbcr-web-tier-")
os.environ["ASBCR_DATABASE_URL"] = f"sqlite:///{os.environ['ASBCR_VAR']}/applications.db"


async def visit_every_route() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from web import server

    nowhere = "http://127.0.0.1:9"  # Rasa and the action server are not needed: their absence is an answer
    app = server.create_app(rasa_url=nowhere, actions_url=nowhere)
    async with TestClient(TestServer(app)) as client:
        for path in ("/", "/api/health", "/application/not-a-token", "/staff/api/stats"):
            await client.get(path)
        await client.post("/api/chat", json={"sender": "web-tier-1", "message": "hello"})


def main() -> int:
    asyncio.run(visit_every_route())
    # What the private page, its PDF and "forget me" load, without an application to show.
    from casework import conversations, partnership, pdf  # noqa: F401
    from rules import configured_name

    partnership.partnership(configured_name())  # the letterhead of the partnership this service runs
    owners = importlib.metadata.packages_distributions()
    names = {dist for module in list(sys.modules) for dist in owners.get(module.split(".")[0], [])}
    for name in sorted(names - {"asb-case-review"}, key=str.lower):
        print(f"{name}=={importlib.metadata.version(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
