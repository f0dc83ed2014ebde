import pytest

from straxlab import create_app
from straxlab.config import DEFAULT_SECRET_KEY, Config, ConfigError, normalise_database_url


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("STRAXLAB_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(Config())


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("STRAXLAB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        Config().check()


def test_production_accepts_a_real_secret_key_and_secures_cookies(monkeypatch):
    monkeypatch.setenv("STRAXLAB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = Config()
    config.check()
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"


def test_development_allows_the_default_key_over_plain_http(monkeypatch):
    monkeypatch.setenv("STRAXLAB_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = Config()
    config.check()
    assert config.SECRET_KEY == DEFAULT_SECRET_KEY
    assert config.SESSION_COOKIE_SECURE is False


def test_default_database_is_an_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Config().database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/straxlab.sqlite"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_lab_timezone_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LAB_TIMEZONE", "Europe/Brussels")
    config = Config()
    assert config.LAB_TIMEZONE == "Europe/Brussels"
    assert config.BABEL_DEFAULT_TIMEZONE == "Europe/Brussels"


def test_an_unknown_lab_timezone_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("STRAXLAB_ENV", "development")
    monkeypatch.setenv("LAB_TIMEZONE", "Europe/Doetinchem")
    with pytest.raises(ConfigError, match="LAB_TIMEZONE"):
        Config().check()
