"""flask commands: users, kb sync, search reindex, demo seeding."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from portal.extensions import db

DEMO_USERS = [
    ("customer@example.com", "Casey Customer", ["customer"], "calm-customer-2026"),
    ("agent@example.com", "Alex Agent", ["agent"], "calm-agent-2026"),
    ("moderator@example.com", "Morgan Moderator", ["moderator", "customer"], "calm-moderator-2026"),
    ("editor@example.com", "Eden Editor", ["editor"], "calm-editor-2026"),
    ("supervisor@example.com", "Sam Supervisor", ["supervisor", "agent"], "calm-supervisor-2026"),
    ("admin@example.com", "Ari Admin", ["admin"], "calm-admin-2026"),
]


DEMO_TEAMS = {"agent@example.com": ["billing", "general", "technical"], "supervisor@example.com": ["general"]}
DEMO_CANNED = [
    ("Refund on its way", None,
     "Hi {customer_first_name}, I've issued the refund for {order_number}. It goes back to your original payment "
     "method within 5 working days, and you'll get an email when it's sent. Is there anything else I can do?"),
    ("Delivery rebooked", None,
     "Thanks for your patience, {customer_first_name}. I've rebooked the delivery for {order_number} and you'll get "
     "a text with the new slot. Your ticket is {ticket_number} if you need us again."),
    ("Checking with the warehouse", None,
     "I'm checking {order_number} with our warehouse now, {customer_first_name}. I'll come back to you here within "
     "the hour. {agent_name}"),
]


def seed_teams_and_canned() -> None:
    """Demo agents' teams and a few canned responses (idempotent)."""
    import sqlalchemy as sa

    from portal.auth.services import find_user_by_email
    from portal.tickets.models import CannedResponse, Team

    teams = {t.slug: t for t in db.session.scalars(sa.select(Team))}
    for email, slugs in DEMO_TEAMS.items():
        user = find_user_by_email(email)
        if user is not None:
            for slug in slugs:
                if slug in teams and teams[slug] not in user.teams:
                    user.teams.append(teams[slug])
    if not db.session.scalar(sa.select(sa.func.count(CannedResponse.id))):
        for title, team, body in DEMO_CANNED:
            db.session.add(CannedResponse(title=title, body=body, team_id=teams[team].id if team else None))
    db.session.commit()


def init_app(app) -> None:
    from portal.auth.models import ROLES

    users = AppGroup("users", help="Manage accounts.")
    kb = AppGroup("kb", help="Knowledge base.")
    search = AppGroup("search", help="Search index.")
    seed = AppGroup("seed", help="Demo data.")

    @users.command("create")
    @click.argument("email")
    @click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=("customer",),
                  show_default=True, help="Repeat for several roles.")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="")
    def users_create(email, roles, password, name):
        """Create an account with one or more roles."""
        from portal.auth.passwords import WeakPassword
        from portal.auth.services import AccountError, create_user

        try:
            user = create_user(email, password, list(roles), name=name)
        except (AccountError, WeakPassword) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"created {user.email} ({', '.join(sorted(user.role_names))})")

    @users.command("list")
    def users_list():
        """List accounts and their roles."""
        from portal.auth.models import User

        for user in db.session.scalars(sa.select(User).order_by(User.email)):
            state = "" if user.active else "  (disabled)"
            click.echo(f"{user.id:>5}  {user.email:<40} {','.join(sorted(user.role_names))}{state}")

    @kb.command("sync")
    @click.argument("directory", required=False, type=click.Path(file_okay=False))
    def kb_sync(directory):
        """Import, update and remove articles to match DIRECTORY (default KB_ARTICLES_DIR)."""
        from portal.kb.services import KnowledgeBaseError, sync_articles

        directory = directory or current_app.config["KB_ARTICLES_DIR"]
        try:
            report = sync_articles(directory)
        except KnowledgeBaseError as exc:
            raise click.ClickException(str(exc)) from exc
        for name, reason in report.errors:
            click.echo(f"skipped {name}: {reason}", err=True)
        click.echo(f"articles: {report.created} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged, {report.removed} removed, {len(report.errors)} skipped")

    @search.command("reindex")
    def search_reindex():
        """Rebuild the search index from the database.

        Embedding is the slow part (about 30 ms a document on 2 cores). Every vector is kept
        as it is made, so a rebuild that was interrupted embeds only what it had not reached
        when run again.
        """
        from portal.search.indexing import all_documents, count_documents

        backend = current_app.extensions["search"]

        def reread():  # a fresh read, for edits made while the rebuild embedded
            with Session(db.engine) as fresh:
                return list(all_documents(fresh))

        with Session(db.engine) as session:
            total = count_documents(session)
            with click.progressbar(length=total, label="indexing") as bar:
                count = backend.rebuild(all_documents(session), progress=bar.update, reread=reread)
        click.echo(f"indexed {count} documents")

    @search.command("gaps")
    @click.option("--limit", default=20, show_default=True)
    def search_gaps(limit):
        """Most frequent searches that found nothing."""
        from portal.search.services import content_gaps

        for query, count in content_gaps(limit):
            click.echo(f"{count:>5}  {query}")

    @seed.command("demo")
    @click.option("--if-development", is_flag=True,
                  help="Outside development, say so and succeed without seeding (what `make run` uses).")
    def seed_demo(if_development):
        """Create one demo account per role and every plug-in's demo content (idempotent); print the logins.

        Development only: the demo passwords are published in the README.
        """
        from portal.auth.services import create_user, find_user_by_email

        environment = current_app.config["CALMLINE_ENV"]
        if environment != "development":
            message = (f"Not seeding: demo accounts (published passwords) are for development only, and "
                       f"CALMLINE_ENV={environment}. Create real accounts with `flask users create`.")
            if if_development:
                click.echo(message)
                return
            raise click.ClickException(message)
        for email, name, roles, password in DEMO_USERS:
            if find_user_by_email(email) is None:
                create_user(email, password, roles, name=name)
        seed_teams_and_canned()
        # Plug-ins (the forum) add their demo content through app.extensions["demo_seeders"]:
        # each returns a line to print, or None when it added nothing.
        for seeder in current_app.extensions.get("demo_seeders", []):
            message = seeder()
            if message:
                click.echo(message)
        click.echo("Demo logins:")
        for email, _, roles, password in DEMO_USERS:
            click.echo(f"  {'/'.join(roles):<20} {email:<26} {password}")

    for group in (users, kb, search, seed):
        app.cli.add_command(group)
