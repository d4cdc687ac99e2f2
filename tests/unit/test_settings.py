from pathlib import Path

import pytest

from services.content.config import ContentSettings
from services.counter.config import CounterSettings
from services.notifier.config import NotifierSettings
from shared.platform.settings import load_settings

SERVICE_VARIABLES = ("HTTP_PORT", "HTTP_HOST", "MONGO_DB", "SITE_TIMEZONE", "EDITOR_TOKEN")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A service's exported environment must not leak into these tests."""
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_missing_required_variable_stops_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        load_settings(ContentSettings)
    assert stopped.value.code == 2
    assert "EDITOR_TOKEN: Field required" in capsys.readouterr().err


def test_bad_values_are_each_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HTTP_PORT", "eighty")
    monkeypatch.setenv("SITE_TIMEZONE", "Asia/Hanoi_City")
    monkeypatch.setenv("AMQP_URL", "http://not-amqp")
    with pytest.raises(SystemExit):
        load_settings(CounterSettings)
    err = capsys.readouterr().err
    assert "HTTP_PORT" in err
    assert "SITE_TIMEZONE" in err
    assert "AMQP_URL" in err


def test_short_signing_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIGNING_KEY", "short")
    with pytest.raises(SystemExit):
        load_settings(NotifierSettings)
    assert "SIGNING_KEY" in capsys.readouterr().err


def test_defaults_fit_a_local_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR_TOKEN", "3f9a0c7e1b5d2864")
    settings = load_settings(ContentSettings)
    assert settings.http_port == 8081
    assert settings.zone.key == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EDITOR_TOKEN", "dev-editor-token-change-me"),  # the old compose default
        ("EDITOR_TOKEN", "x" * 40),
        ("ADMIN_TOKEN", "dev-admin-token-change-me"),
        ("ADMIN_TOKEN", "my-admin-token-please-change-me"),
    ],
)
def test_a_published_or_guessable_secret_stops_the_service(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDITOR_TOKEN", "3f9a0c7e1b5d2864")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit):
        load_settings(ContentSettings)
    error = capsys.readouterr().err
    assert variable in error and "scripts/make-env.sh" in error


def test_secrets_can_come_from_files_in_secrets_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docker Swarm mounts secrets as files in /run/secrets: no secret in the environment."""
    (tmp_path / "editor_token").write_text("5b0e9c2d7a4f8e1d3c6b")
    monkeypatch.delenv("EDITOR_TOKEN", raising=False)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    settings = load_settings(ContentSettings)
    assert settings.editor_token.get_secret_value() == "5b0e9c2d7a4f8e1d3c6b"
