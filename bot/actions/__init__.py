"""The custom actions, loaded by the action server (`rasa run actions --actions bot.actions`).

rasa-sdk 3.6 has no authentication of its own. Its server imports this package while it builds
its Sanic app, so this is where the app gets a guard: every call but /health must carry the
installation's action-call key in the X-Asbcr-Action-Key header, which Rasa sends from
bot/endpoints.yml (the key comes from ASBCR_ACTION_CALL_KEY, set by asbcr.stack from
var/action-call-key; never a command line or a URL). The submit action re-checks the
conversation besides (bot/actions/application.py), so even a caller with the key cannot make
an application from invented facts.
"""

import hmac
import logging

from groundwork import private_logs
from groundwork.keys import installation_key

CALL_KEY_HEADER = "X-Asbcr-Action-Key"
CALL_KEY_FILE, CALL_KEY_ENV = "action-call-key", "ASBCR_ACTION_CALL_KEY"
OPEN_PATHS = ("/health",)


def action_call_key() -> str:
    return installation_key(CALL_KEY_FILE, CALL_KEY_ENV).decode()


def _guard_action_server() -> None:
    try:
        from sanic import Sanic, response

        app = Sanic.get_app("rasa_sdk")
    except Exception:  # imported outside the action server (tests, the shell): nothing to guard
        return
    private_logs.install()  # the action server's process: no resident text in any log line

    @app.on_request
    async def only_rasa(request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(CALL_KEY_HEADER, "")
        if not hmac.compare_digest(given.encode(), action_call_key().encode()):
            logging.getLogger("bot.actions").warning("action call refused: no valid action-call key")
            return response.json({"error": "forbidden"}, status=403)
        return None


_guard_action_server()
