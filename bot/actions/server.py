"""The action server: rasa_sdk's app on loopback, answering only Rasa.

rasa_sdk 3.6 has no authentication and listens on 0.0.0.0, so anyone who could reach it could
POST /webhook and run action_handoff or action_submit_satisfaction, which call the portal with
the bot's service token. Here it listens on 127.0.0.1 and every request but the health check
must carry `Authorization: Bearer <ACTION_SERVER_TOKEN>`, which Rasa sends from its
action_endpoint's `headers` (bot/scripts/runtime_config.py writes them). Anything else gets 401
before an action runs.

Run from bot/ with the repository root on PYTHONPATH and ACTION_SERVER_TOKEN in the environment
(never on the command line, where every local user can read it):

    PYTHONPATH=.. .venv/bin/python -m bot.actions.server --port 5055
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
MIN_TOKEN_LENGTH = 32
OPEN_PATHS = frozenset({"/health"})  # liveness only: says "ok", runs nothing


def authorised(header: str | None, token: str) -> bool:
    """Constant-time comparison, so the answer's timing says nothing about the token."""
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())


def create_app(token: str, actions: str = "bot.actions"):
    """rasa_sdk's own Sanic app with a request middleware in front of every route."""
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response

    app = create_sdk_app(actions, cors_origins=None)  # no browser origin may call it

    @app.middleware("request")
    async def require_token(request):
        if request.method == "GET" and request.path in OPEN_PATHS:
            return None
        if not authorised(request.headers.get("authorization"), token):
            return response.json({"error": "the action server answers only Rasa (Authorization: Bearer)"},
                                 status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Calmline's action server (rasa_sdk), for Rasa only.")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--interface", default="127.0.0.1",
                        help="address to listen on (default: loopback only)")
    parser.add_argument("--actions", default="bot.actions")
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_VARIABLE, "")
    if len(token) < MIN_TOKEN_LENGTH:
        print(f"{TOKEN_VARIABLE} must be set to a secret of at least {MIN_TOKEN_LENGTH} characters "
              "(scripts/prepare-run generates one into instance/run.env for `make run`).", file=sys.stderr)
        return 2

    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    app = create_app(token, args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # as rasa_sdk.endpoint.run does
    app.run(args.interface, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
