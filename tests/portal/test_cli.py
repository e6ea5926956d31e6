import sqlalchemy as sa

from portal.auth.models import ROLES, User
from portal.extensions import db
from portal.kb.models import Article
from portal.search.services import search
from tests.factories import write_article_file


def test_users_create_and_list(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "pat@example.com", "--role", "agent", "--role", "supervisor",
                                 "--password", "sturdy-violet-kettle-8", "--name", "Pat Lee"])
    assert result.exit_code == 0, result.output
    assert "created pat@example.com (agent, supervisor)" in result.output
    refused = runner.invoke(args=["users", "create", "weak@example.com", "--password", "password1"])
    assert refused.exit_code != 0 and "common" in refused.output.lower() or "guess" in refused.output.lower()
    duplicate = runner.invoke(args=["users", "create", "pat@example.com", "--password", "sturdy-violet-kettle-8"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_role = runner.invoke(args=["users", "create", "x@example.com", "--role", "wizard", "--password", "p"])
    assert bad_role.exit_code != 0
    listing = runner.invoke(args=["users", "list"])
    assert "pat@example.com" in listing.output and "agent,supervisor" in listing.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    second = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == second.exit_code == 0
    assert "supervisor@example.com" in first.output
    with app.app_context():
        users = db.session.scalars(sa.select(User)).all()
        roles = set().union(*(u.role_names for u in users))
    assert len(users) == len(ROLES)  # one demo login per role, and no duplicates the second time
    assert roles == set(ROLES)


def test_kb_sync_imports_updates_removes_and_reports(app, tmp_path):
    runner = app.test_cli_runner()
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article_file(kb, "refund-time", "Refund time", "Refunds take five days.")
    write_article_file(kb, "double-charge", "Double charge", "A pending hold is not a charge.")
    (kb / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody")
    (kb / "no-slug.md").write_text('---\ntitle: "No slug"\ncategory: billing-payments\n---\nbody')
    (kb / "bad-date.md").write_text('---\ntitle: "T"\nslug: bad-date\ncategory: x\nupdated: yesterday\n---\nbody')

    result = runner.invoke(args=["kb", "sync", str(kb)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 0 removed, 3 skipped" in result.output
    assert "broken.md: front matter is not valid YAML" in result.output
    assert "no-slug.md: front matter is missing 'slug'" in result.output
    assert "bad-date.md: 'updated'" in result.output

    again = runner.invoke(args=["kb", "sync", str(kb)])
    assert "0 created, 0 updated, 2 unchanged, 0 removed, 3 skipped" in again.output

    write_article_file(kb, "refund-time", "Refund timing explained", "Refunds take five business days to land.")
    (kb / "double-charge.md").unlink()
    changed = runner.invoke(args=["kb", "sync", str(kb)])
    assert "0 created, 1 updated, 0 unchanged, 1 removed, 3 skipped" in changed.output
    with app.app_context():
        assert db.session.scalars(sa.select(Article.title)).all() == ["Refund timing explained"]
        assert [h.slug for h in search("business days").hits] == ["refund-time"]
        assert search("pending hold").total == 0


def test_kb_sync_keeps_an_article_whose_file_became_malformed(app, tmp_path):
    runner = app.test_cli_runner()
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article_file(kb, "refund-time", "Refund time", "Refunds take five days.")
    runner.invoke(args=["kb", "sync", str(kb)])
    (kb / "refund-time.md").write_text("---\ntitle: [broken\n---\n")
    result = runner.invoke(args=["kb", "sync", str(kb)])
    assert "0 removed, 1 skipped" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 1


def test_kb_sync_of_the_shipped_articles(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 0, result.output
    created = int(result.output.split("articles: ")[1].split(" created")[0])
    assert created >= 30 and "0 skipped" in result.output
    with app.app_context():
        categories = set(db.session.scalars(sa.select(Article.category_id)).all())
        assert len(categories) == 8
        assert [h.slug for h in search("charged twice").hits][0] == "charged-twice-double-charge"


def test_kb_sync_of_a_missing_directory(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["kb", "sync", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "is not a directory" in result.output


def test_search_reindex_rebuilds_with_progress(app, tmp_path):
    runner = app.test_cli_runner()
    kb = tmp_path / "kb"
    kb.mkdir()
    for i in range(3):
        write_article_file(kb, f"sofa-{i}", f"Sofa {i}", "Sofa cushions and covers.")
    runner.invoke(args=["kb", "sync", str(kb)])
    app.extensions["search"].rebuild([])
    with app.app_context():
        assert search("sofa").total == 0
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "indexed 3 documents" in result.output
    with app.app_context():
        assert search("sofa").total == 3
    gaps = runner.invoke(args=["search", "gaps"])
    assert "sofa" in gaps.output  # the miss recorded while the index was empty


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_seed_demo_refuses_outside_development(make_app):
    app = make_app(CALMLINE_ENV="production")
    refused = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert refused.exit_code != 0
    assert "development only" in refused.output and "CALMLINE_ENV=production" in refused.output
    assert "calm-admin-2026" not in refused.output
    assert _users(app) == 0


def test_make_run_seeds_only_in_development(make_app):
    """`make run` asks with --if-development: in production it says why and goes on starting."""
    import subprocess

    from tests.stack import ROOT

    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert "flask seed demo --if-development" in plan
    production = make_app(CALMLINE_ENV="production")
    skipped = production.test_cli_runner().invoke(args=["seed", "demo", "--if-development"])
    assert skipped.exit_code == 0 and "Not seeding" in skipped.output
    assert _users(production) == 0
    development = make_app()
    seeded = development.test_cli_runner().invoke(args=["seed", "demo", "--if-development"])
    assert seeded.exit_code == 0 and "admin@example.com" in seeded.output
    assert _users(development) == len(ROLES)
