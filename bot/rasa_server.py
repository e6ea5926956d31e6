"""`rasa run` with its HTTP API secret from the environment, never from the command line.

`rasa run --auth-token T` shows T in the process list (/proc/<pid>/cmdline is readable by every
local user), and Rasa 3.6 accepts that token only as `?token=T` in URLs, which access logs and
proxies keep. Rasa's other way in is a JWT in `Authorization: Bearer` (rasa/server.py
`requires_auth`), so this launcher reads RASA_TOKEN from the environment and gives it to Rasa as
the JWT secret (HS256); the portal signs a short-lived admin token with it for each call
(portal/chat/rasa_client.py). `?token=` is then refused like no token at all.

It listens on 127.0.0.1 unless `--interface` says otherwise. Every other argument is `rasa run`'s.
From bot/, with the repository root on PYTHONPATH:

    RASA_TOKEN=... PYTHONPATH=.. .venv/bin/python -m bot.rasa_server --enable-api --port 5005 \\
        --model models/calmline.tar.gz --endpoints ../instance/bot-endpoints.yml
"""

from __future__ import annotations

import os
import sys

SECRET_VARIABLE = "RASA_TOKEN"
MIN_SECRET_LENGTH = 32
SECRET_FLAGS = ("--auth-token", "--jwt-secret", "--jwt-private-key")


def rasa_arguments(argv: list[str]) -> list[str]:
    """`rasa run`'s arguments: loopback first, so a later --interface still wins."""
    for arg in argv:
        if arg.split("=", 1)[0] in SECRET_FLAGS:
            raise SystemExit(f"{arg.split('=', 1)[0]} would show the secret in the process list: "
                             f"set {SECRET_VARIABLE} in the environment instead")
    return ["run", "--interface", "127.0.0.1", *argv]


def main(argv: list[str] | None = None) -> int:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if len(secret) < MIN_SECRET_LENGTH:
        print(f"{SECRET_VARIABLE} must be set to a secret of at least {MIN_SECRET_LENGTH} characters "
              "(scripts/prepare-run generates one into instance/run.env for `make run`).", file=sys.stderr)
        return 2
    sys.argv = ["rasa", *rasa_arguments(sys.argv[1:] if argv is None else argv)]

    import rasa.cli.run
    from rasa.__main__ import main as rasa_main

    serve = rasa.cli.run.run

    def run_with_secret(args) -> None:
        args.auth_token = None
        args.jwt_secret, args.jwt_method, args.jwt_private_key = secret, "HS256", None
        serve(args)

    # `rasa run`'s parser takes this module attribute as its command when rasa_main builds it.
    rasa.cli.run.run = run_with_secret
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
