"""The role-play trainer (/training): agents practise the five classic de-escalation scenarios
against simulated customers; supervisors follow the team's progress and add personas."""

from flask import Blueprint

bp = Blueprint("training", __name__)


def init_app(app) -> None:
    import click
    from flask.cli import AppGroup

    from portal.training import views  # noqa: F401  (routes)

    app.register_blueprint(bp)
    group = AppGroup("training", help="The role-play trainer.")

    @group.command("load-personas")
    def load_personas():
        """Load the shipped personas the database lacks (the trainer also does this on first use)."""
        from portal.training.services import ensure_built_in

        ensure_built_in()
        click.echo("Personas loaded.")

    app.cli.add_command(group)
