from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crowndesk.cli import app
from crowndesk.config import ConfigError, load_settings, normalize_database_url

runner = CliRunner()


class TestDatabaseUrl:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
            ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
            ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
            ("postgres://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
            ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ],
    )
    def test_usual_forms_get_the_async_driver(self, given: str, expected: str) -> None:
        assert normalize_database_url(given) == expected

    @pytest.mark.parametrize("given", ["mysql://h/db", "nonsense", "sqlite:"])
    def test_unsupported_forms_are_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match=r"."):
            normalize_database_url(given)


class TestSettings:
    def test_defaults_live_in_the_data_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CROWNDESK_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.delenv("CROWNDESK_DATABASE_URL", raising=False)
        monkeypatch.delenv("CROWNDESK_SECRET_KEY", raising=False)
        settings = load_settings()
        assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'crowndesk.db'}"
        key_file = tmp_path / "data" / "secret.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert settings.secret_key == key_file.read_text().strip()
        assert load_settings().secret_key == settings.secret_key  # kept, not regenerated
        assert settings.access_token_minutes == 15
        assert settings.refresh_token_days == 30
        assert settings.allow_signup is False

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("CROWNDESK_ACCESS_TOKEN_MINUTES", "soon"),
            ("CROWNDESK_DATABASE_URL", "mysql://x/y"),
            ("CROWNDESK_SECRET_KEY", "short"),
            ("CROWNDESK_ALLOW_SIGNUP", "perhaps"),
        ],
    )
    def test_a_bad_value_names_the_variable(
        self, variable: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CROWNDESK_DATA_DIR", str(tmp_path))
        monkeypatch.setenv(variable, value)
        with pytest.raises(ConfigError) as error:
            load_settings()
        assert str(error.value).startswith(variable + ":")
        assert "\n" not in str(error.value)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROWNDESK_")}
    return env | {"CROWNDESK_DATA_DIR": str(tmp_path)} | extra


class TestCommands:
    def test_bad_configuration_stops_with_one_line(self, tmp_path: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "crowndesk.cli", "migrate"],
            env=_env(tmp_path, CROWNDESK_REFRESH_TOKEN_DAYS="-3"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1
        assert "CROWNDESK_REFRESH_TOKEN_DAYS" in lines[0]

    def test_demo_without_serving_prints_working_credentials(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for key, value in _env(tmp_path).items():
            if key.startswith("CROWNDESK_"):
                monkeypatch.setenv(key, value)
        monkeypatch.delenv("CROWNDESK_DATABASE_URL", raising=False)
        result = runner.invoke(app, ["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
        assert "Demo Dental Group" in result.output
        assert "http://127.0.0.1:8000/api/docs" in result.output
        last_line = result.output.strip().splitlines()[-1]
        assert "Open http://127.0.0.1:8000/login and sign in" in last_line
        password = next(
            line.split()[-1]
            for line in result.output.splitlines()
            if line.strip().startswith("password")
        )
        assert (tmp_path / "demo" / "crowndesk.db").exists()

        from fastapi.testclient import TestClient

        from crowndesk.app import create_app
        from crowndesk.config import load_settings as load

        demo_settings = load(
            data_dir=tmp_path / "demo",
            database_url=f"sqlite:///{tmp_path / 'demo' / 'crowndesk.db'}",
        )
        with TestClient(create_app(demo_settings)) as client:
            login = client.post(
                "/api/auth/login", json={"email": "owner@demo.crowndesk.test", "password": password}
            )
            assert login.status_code == 200
            headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
            clinics = client.get("/api/clinics", headers=headers).json()
            assert clinics["total"] == 1
        # a second demo starts fresh
        again = runner.invoke(app, ["demo", "--no-serve"])
        assert again.exit_code == 0

    def test_migrate_and_create_admin(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CROWNDESK_DATA_DIR", str(tmp_path))
        monkeypatch.delenv("CROWNDESK_DATABASE_URL", raising=False)
        assert runner.invoke(app, ["migrate"]).exit_code == 0
        args = [
            "create-admin",
            "--email",
            "Boss@Example-Dental.com",
            "--full-name",
            "Boss",
            "--organization",
            "Boss Dental",
            "--password",
            "a-long-enough-password",
        ]
        created = runner.invoke(app, args)
        assert created.exit_code == 0, created.output
        assert "boss@example-dental.com" in created.output
        duplicate = runner.invoke(app, args)
        assert duplicate.exit_code == 1
        assert "already exists" in duplicate.output
        short = runner.invoke(app, [*args[:-1], "short"])
        assert short.exit_code == 1
