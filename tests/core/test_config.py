import pytest

from crm.config import ConfigError, load_config


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first = load_config(str(tmp_path), {})
    second = load_config(str(tmp_path), {})
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    assert first["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_without_secret_key_fails_clearly(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(str(tmp_path), {"CRM_ENV": "production",
                                    "DATABASE_URL": "postgresql://db/crm"})
    assert not (tmp_path / "secret_key").exists()


def test_production_without_database_url_fails_clearly(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config(str(tmp_path), {"CRM_ENV": "production", "SECRET_KEY": "k" * 40})


def test_production_never_debugs(tmp_path):
    config = load_config(str(tmp_path), {"CRM_ENV": "production", "SECRET_KEY": "k" * 40,
                                         "FLASK_DEBUG": "1",
                                         "DATABASE_URL": "postgres://u:p@db/crm"})
    assert config["DEBUG"] is False
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/crm"
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_https_base_url_makes_cookies_secure(tmp_path):
    config = load_config(str(tmp_path), {"CRM_BASE_URL": "https://crm.example.com/"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["CRM_BASE_URL"] == "https://crm.example.com"


def test_the_demo_server_port_and_the_links_follow_port(tmp_path):
    config = load_config(str(tmp_path), {"PORT": "5055"})
    assert config["CRM_DEV_PORT"] == 5055
    assert config["CRM_BASE_URL"] == "http://127.0.0.1:5055"
    config = load_config(str(tmp_path), {"PORT": "5055", "CRM_BASE_URL": "https://crm.example"})
    assert config["CRM_BASE_URL"] == "https://crm.example"
    assert load_config(str(tmp_path), {})["CRM_DEV_PORT"] == 5000


def test_bad_number_is_reported_by_name(tmp_path):
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        load_config(str(tmp_path), {"MAIL_PORT": "twenty-five"})


def test_flask_commands_say_what_setting_is_missing_without_a_traceback(tmp_path):
    """``flask --app app …`` in production without SECRET_KEY: one line, exit status 1."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(CRM_ENV="production", DATABASE_URL="postgresql://db/crm",
               CRM_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def test_working_days_and_their_time_zone_are_read_and_checked(tmp_path):
    from zoneinfo import ZoneInfo

    config = load_config(str(tmp_path), {})
    assert config["CRM_WORKING_DAYS"] == frozenset(range(5))  # Monday to Friday
    assert config["CRM_WORKING_TIME_ZONE"] == ZoneInfo("UTC")
    config = load_config(str(tmp_path), {"CRM_WORKING_DAYS": "sun-thu",
                                         "CRM_WORKING_TIME_ZONE": "Asia/Dubai"})
    assert config["CRM_WORKING_DAYS"] == frozenset({6, 0, 1, 2, 3})
    assert config["CRM_WORKING_TIME_ZONE"] == ZoneInfo("Asia/Dubai")
    with pytest.raises(ConfigError, match="CRM_WORKING_DAYS must list days"):
        load_config(str(tmp_path), {"CRM_WORKING_DAYS": "weekdays"})
    with pytest.raises(ConfigError, match="CRM_WORKING_TIME_ZONE must name a time zone"):
        load_config(str(tmp_path), {"CRM_WORKING_TIME_ZONE": "Mars/Olympus"})
