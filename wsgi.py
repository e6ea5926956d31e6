"""The one module that builds an app at import: gunicorn's entry point."""

from dotenv import load_dotenv

from portal import create_app

load_dotenv()  # a local .env, if there is one; the real environment wins
app = create_app()
