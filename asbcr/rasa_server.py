"""`rasa run` as the supervisor starts it: exactly Rasa's own command line, except that a
server whose model did not load exits instead of listening.

Rasa loads its model before it opens its port, but when the load fails it opens the port
anyway and answers every message with nothing. Its HTTP API (`/status`) could tell, but the
API needs a token on the command line and in a query string, so it stays off: a Rasa that
answers on its port has a model, and one that has none exits with NO_MODEL.

Run as ``python -m asbcr.rasa_server run --model ... --port ...`` (any `rasa` arguments).
"""
from __future__ import annotations

import os
import sys

NO_MODEL = 78  # EX_CONFIG: the supervisor reports it as "could not load the model"


def insist_on_a_model() -> None:
    import rasa.core.run as rasa_run

    load_agent = rasa_run.load_agent_on_start

    async def load_or_exit(*args, **kwargs):
        agent = await load_agent(*args, **kwargs)
        if agent is None or not agent.is_ready():
            print("Rasa could not load the model; not serving without one.", file=sys.stderr, flush=True)
            os._exit(NO_MODEL)  # before the port opens: nothing to clean up
        return agent

    # serve_application looks the listener up by name when it starts, so this replaces it.
    rasa_run.load_agent_on_start = load_or_exit


def main() -> None:
    insist_on_a_model()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
