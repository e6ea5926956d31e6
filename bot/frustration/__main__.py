"""``python -m bot.frustration``: see cli.py for the commands."""

from .cli import main

raise SystemExit(main())
