import pytest

from portal.config import ConfigError, load_config


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = load_config(tmp_path, env={})
    second = load_config(tmp_path, env={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, env={"CALMLINE_ENV": "production"})
    config = load_config(tmp_path, env={"CALMLINE_ENV": "production", "SECRET_KEY": "s" * 40})
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
