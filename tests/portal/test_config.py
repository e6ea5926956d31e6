import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.config import ConfigError, load_config, web_worker_class


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = load_config(tmp_path, env={})
    second = load_config(tmp_path, env={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, env={"CALMLINE_ENV": "production"})
    config = load_config(tmp_path, env={"CALMLINE_ENV": "production", "SECRET_KEY": "s" * 40,
                                        "PUBLIC_URL": "https://help.example.com/"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_defaults_and_environment(tmp_path):
    config = load_config(tmp_path, env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'calmline.db'}"
    assert config["SEARCH_INDEX_DIR"] == str(tmp_path / "search_index")
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["KB_ARTICLES_DIR"].endswith("kb_articles")
    env = {"DATABASE_URL": "postgres://u@h/db", "REDIS_URL": "redis://127.0.0.1:6379/0", "BRAND_NAME": "Acme",
           "SEARCH_INDEX_DIR": "/srv/ix", "KB_ARTICLES_DIR": "/srv/kb"}
    config = load_config(tmp_path, env=env)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert (config["BRAND_NAME"], config["SEARCH_INDEX_DIR"], config["KB_ARTICLES_DIR"]) == ("Acme", "/srv/ix", "/srv/kb")


PRODUCTION = {"CALMLINE_ENV": "production", "SECRET_KEY": "k" * 40, "PUBLIC_URL": "https://help.example.com"}


@pytest.mark.parametrize("spelling", ["Production", "prod", "PRODUCTION", "production ", "staging"])
def test_an_unknown_environment_is_refused_with_the_allowed_ones(tmp_path, spelling):
    with pytest.raises(ConfigError, match=r"CALMLINE_ENV=.*development, production"):
        load_config(tmp_path, env={"CALMLINE_ENV": spelling, "SECRET_KEY": "k" * 40})


def test_development_is_the_default_and_may_be_spelled_out(tmp_path):
    assert load_config(tmp_path, env={})["CALMLINE_ENV"] == "development"
    assert load_config(tmp_path, env={"CALMLINE_ENV": ""})["CALMLINE_ENV"] == "development"
    assert load_config(tmp_path, env={"CALMLINE_ENV": "development", "SECRET_KEY": "x"})["SECRET_KEY"] == "x"


@pytest.mark.parametrize("key", ["x", "k" * 31, "test-secret-key", "e2e-secret"])
def test_production_refuses_a_short_or_demo_secret_key(tmp_path, key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, env={**PRODUCTION, "SECRET_KEY": key})
    assert load_config(tmp_path, env={**PRODUCTION, "SECRET_KEY": "k" * 32})["SECRET_KEY"] == "k" * 32


@pytest.mark.parametrize("variable", ["CALMLINE_WORKERS", "WEB_CONCURRENCY"])
def test_production_refuses_several_workers_with_per_process_rate_limits(tmp_path, variable):
    with pytest.raises(ConfigError, match="4 workers without REDIS_URL"):
        load_config(tmp_path, env={**PRODUCTION, variable: "4"})
    shared = load_config(tmp_path, env={**PRODUCTION, variable: "4", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert shared["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert load_config(tmp_path, env={**PRODUCTION, variable: "1"})["RATELIMIT_STORAGE_URI"] == "memory://"
    # Development keeps working with several workers and no Redis (make run without Redis).
    assert load_config(tmp_path, env={variable: "4"})["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("public_url", [None, "", "help.example.com", "javascript:alert(1)", "https://", "https://h/?x=1"])
def test_production_refuses_to_make_mail_links_without_a_public_url(tmp_path, public_url):
    """Issue 15: links in emails fell back on the request's Host header, which the requester chooses."""
    env = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_URL"}
    if public_url is not None:
        env["PUBLIC_URL"] = public_url
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_config(tmp_path, env=env)
    assert load_config(tmp_path, env={**env, "PUBLIC_URL": "https://help.example.com/"})["PUBLIC_URL"] == \
        "https://help.example.com"
    assert load_config(tmp_path, env={})["PUBLIC_URL"] == ""  # development: the page's own address


@pytest.mark.parametrize("url, worker", [
    ("postgresql://u@127.0.0.1:5432/calmline", "gevent"),
    ("postgresql+psycopg://u@db/calmline", "gevent"),
    ("postgres://u@db/calmline", "gevent"),
    ("sqlite:////srv/instance/calmline.db", "gthread"),
    (None, "gthread"),  # unset: the SQLite file in instance/
    ("", "gthread"),
])
def test_the_web_worker_suits_the_database(url, worker):
    """SQLite's lock waits sleep in C, where gevent cannot switch: gthread there, gevent on PostgreSQL."""
    assert web_worker_class(url) == worker


def test_make_run_writes_the_worker_for_its_database(tmp_path):
    root = Path(__file__).resolve().parents[2]
    for url, worker in (("", "gthread"), ("postgresql://u@127.0.0.1:5432/x", "gevent")):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WEB_WORKER_CLASS")}
        env.update(CALMLINE_INSTANCE_DIR=str(tmp_path), DATABASE_URL=url)
        subprocess.run([sys.executable, str(root / "scripts" / "prepare-run")], cwd=tmp_path, env=env, check=True,
                       capture_output=True)
        assert f"WEB_WORKER_CLASS={worker}\n" in (tmp_path / "run.env").read_text()
