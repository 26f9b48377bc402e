"""docker-compose.yml and the Dockerfile refer only to things that exist in the project.

No Docker engine runs here, so these tests read both files and resolve every module, settings
module, class and path they name.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def raw_compose() -> str:
    return (ROOT / "docker-compose.yml").read_text()


def _argv(service: dict) -> list[str]:
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return shlex.split(argv[2])
    return argv


def _option(argv: list[str], name: str) -> str:
    for i, arg in enumerate(argv):
        if arg == name:
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {argv}")


def test_the_stack_has_every_service_a_deployer_needs(compose):
    assert {"web", "worker", "beat", "postgres", "redis", "mailpit"} <= set(compose["services"])


def test_web_runs_gunicorn_on_the_projects_wsgi_application(compose):
    argv = _argv(compose["services"]["web"])
    assert argv[0] == "gunicorn"
    module_name, _, attribute = argv[1].partition(":")
    module = importlib.import_module(module_name)
    assert hasattr(module, attribute or "application")


def test_web_uses_the_production_settings_module_that_exists(compose):
    settings_module = compose["services"]["web"]["environment"]["DJANGO_SETTINGS_MODULE"]
    assert settings_module == "imc.settings_production"
    assert (ROOT / (settings_module.replace(".", "/") + ".py")).is_file()


def test_worker_and_beat_name_the_projects_celery_app(compose):
    for name in ("worker", "beat"):
        argv = _argv(compose["services"][name])
        assert argv[0] == "celery"
        assert argv[3] == name
        app_module = importlib.import_module(_option(argv, "-A") + ".celery")
        assert app_module.app.main == "imc"


def test_beat_runs_the_database_scheduler_that_settings_name(compose):
    scheduler = _option(_argv(compose["services"]["beat"]), "--scheduler")
    assert scheduler == settings.CELERY_BEAT_SCHEDULER
    module_name, _, class_name = scheduler.partition(":")
    assert isinstance(getattr(importlib.import_module(module_name), class_name), type)


def test_the_migrate_step_runs_management_commands_that_exist(compose):
    from django.core.management import get_commands

    commands = _argv(compose["services"]["migrate"])
    called = [commands[i + 1] for i, arg in enumerate(commands) if arg == "manage.py"]
    assert called == ["migrate", "load_ma_data"]
    assert set(called) <= set(get_commands())


def test_worker_beat_and_migrate_reuse_the_web_service_through_an_anchor(compose, raw_compose):
    assert re.search(r"^  web: &web$", raw_compose, re.MULTILINE)
    web = compose["services"]["web"]
    for name in ("worker", "beat", "migrate"):
        assert re.search(rf"^  {name}:\n    <<: \*web$", raw_compose, re.MULTILINE), name
        service = compose["services"][name]
        assert service["image"] == web["image"]
        assert service["build"] == web["build"]
        assert service["environment"] == web["environment"]
        # Only web publishes the port, or the others would fight over it.
        assert service["ports"] == []


def test_postgres_has_a_healthcheck_that_the_app_waits_for(compose):
    postgres = compose["services"]["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert compose["services"]["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert compose["services"]["redis"]["healthcheck"]["test"][-1] == "ping"


def test_the_app_talks_to_the_compose_databases(compose):
    env = compose["services"]["web"]["environment"]
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_env_example_names_only_settings_the_project_reads():
    read = set(re.findall(r"env_(?:str|bool|int|float|list)\(\s*\"([A-Z_]+)\"", _settings_source()))
    read |= {"POSTGRES_PASSWORD"}  # used by docker-compose.yml itself
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z_]+)=", line)
        if match:
            names.add(match.group(1))
    assert names, "no variables in .env.example"
    assert names <= read, names - read
    assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= names


def _settings_source() -> str:
    return "".join((ROOT / "imc" / name).read_text() for name in ("settings.py", "settings_production.py"))


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_every_file_the_dockerfile_copies_exists():
    copies = [rest.split()[:-1] for keyword, rest in _dockerfile_instructions() if keyword == "COPY"]
    assert copies
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source


def test_the_image_contains_every_app_of_the_project():
    copied = {
        source.rstrip("/")
        for keyword, rest in _dockerfile_instructions()
        if keyword == "COPY"
        for source in rest.split()[:-1]
    }
    local_apps = {
        Path(config.path).relative_to(ROOT).parts[0]
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and "site-packages" not in Path(config.path).parts
    }
    assert local_apps <= copied, local_apps - copied
    assert {"templates", "static", "manage.py"} <= copied


def test_the_image_runs_gunicorn_on_production_settings():
    instructions = _dockerfile_instructions()
    assert any(k == "ENV" and "DJANGO_SETTINGS_MODULE=imc.settings_production" in r for k, r in instructions)
    assert any(k == "RUN" and "manage.py collectstatic" in r for k, r in instructions)
    cmd = next(r for k, r in instructions if k == "CMD")
    assert '"gunicorn", "imc.wsgi:application"' in cmd
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^gunicorn==", requirements, re.MULTILINE)
    import_string("imc.wsgi.application")


def test_every_queue_a_task_is_routed_to_has_a_worker_and_single_mail_has_its_own(compose):
    """A large newsletter send must not hold up a password reset: the bulk queue and the default
    queue each have their own worker service, and no task is routed to a queue nobody consumes."""
    consumed = {}
    for name in ("worker", "worker-bulk"):
        argv = _argv(compose["services"][name])
        assert argv[:4] == ["celery", "-A", "imc", "worker"]
        consumed[name] = set(_option(argv, "-Q").split(","))
    assert consumed["worker"] == {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert consumed["worker-bulk"] == {settings.BULK_QUEUE}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed <= consumed["worker"] | consumed["worker-bulk"]
    assert compose["services"]["worker-bulk"]["build"] == compose["services"]["web"]["build"]  # the anchor
