"""The production topology (docker-compose.yml) stays valid, scalable and documented."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dubbing.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCS = ROOT / "docs" / "production.md"
REGISTER = ROOT / "deploy" / "register-search-attributes.sh"
DOCKERFILES = {"worker-cpu": "docker/worker.Dockerfile",
               "worker-gpu": "docker/worker-gpu.Dockerfile"}
SEARCH_ATTRIBUTES = {
    "DubStage": "Keyword",
    "DubSourceLang": "Keyword",
    "DubTargetLangs": "KeywordList",
    "DubMediaSeconds": "Double",
    "DubInputName": "Keyword",
    "DubTenant": "Keyword",
}
TIMEOUT = 60


def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    return binary


# The secrets compose requires (docs/production.md); made up for these checks.
SECRETS = {"POSTGRES_PASSWORD": "pg-test-pass", "MINIO_ROOT_USER": "root-test",
           "MINIO_ROOT_PASSWORD": "minio-test-pass", "DUB_S3_SECRET_KEY": "s3-test-secret",
           "DUB_WEBHOOK_SECRET": "webhook-test-secret", "DUB_API_KEYS": "acme:" + "ab" * 32,
           "DUB_API_SIGNING_KEY": "signing-test-key"}
API_SECRETS = ("DUB_API_KEYS", "DUB_API_SIGNING_KEY")
# What each service's healthcheck asks for, and the variable that holds the port.
PROBES = {"worker-cpu": ("/readyz", "DUB_HEALTH_PORT"),
          "worker-gpu": ("/readyz", "DUB_HEALTH_PORT"), "api": ("/healthz", "DUB_API_PORT")}


def compose(*args: str, secrets: dict[str, str] = SECRETS) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS} | secrets
    return subprocess.run(
        [compose_binary(), "--project-directory", str(ROOT), "-f", str(COMPOSE), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env,
    )


def written() -> dict[str, dict[str, Any]]:
    """The services as the file spells them: merged, not interpolated."""
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(COMPOSE.read_text())["services"]


@cache
def services() -> dict[str, dict[str, Any]]:
    """The services as compose resolves them (merged and interpolated), else as written."""
    yaml = pytest.importorskip("yaml")
    if shutil.which("docker-compose") is not None:
        result = compose("config")
        assert result.returncode == 0, result.stderr
        return yaml.safe_load(result.stdout)["services"]
    return written()


def seconds(duration: str) -> float:
    """A compose duration such as 45s, 1m30s or 2m as seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", str(duration))
    assert parts, f"not a duration: {duration!r}"
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    return sum(float(value) * scale[unit] for value, unit in parts)


def test_compose_config_is_valid_with_the_secrets_alone() -> None:
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr
    # An unset variable without a default is only a warning for compose ("The X variable is not
    # set. Defaulting to a blank string."); every variable must have a default or be required.
    assert "is not set" not in result.stderr, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing: str) -> None:
    result = compose("config", "-q", secrets={k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr and ".env" in result.stderr, result.stderr


def test_no_well_known_credential_is_left_in_compose() -> None:
    text = COMPOSE.read_text()
    for weak in ("minioadmin", "dubbing-secret", "PASSWORD:-", "SECRET_KEY:-"):
        assert weak not in text, weak


def test_every_worker_gets_the_webhook_secret() -> None:
    for name in ("worker-cpu", "worker-gpu"):
        env = services()[name]["environment"]
        assert env["DUB_WEBHOOK_SECRET"] == SECRETS["DUB_WEBHOOK_SECRET"], name


def readme_services() -> list[str]:
    """The services the README's production section lists, in its order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Production (docker-compose)"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"^- `([a-z][a-z0-9-]*)`:", section, flags=re.MULTILINE)


def test_compose_lists_the_same_services() -> None:
    """What compose would run is exactly what the file declares and the README describes: no
    service hidden behind a profile, dropped by a merge, or missing from the documentation."""
    yaml = pytest.importorskip("yaml")
    written = set(yaml.safe_load(COMPOSE.read_text())["services"])
    documented = readme_services()
    assert len(documented) == len(set(documented)), f"README lists a service twice: {documented}"
    assert set(documented) == written, (
        f"README only: {set(documented) - written}; compose file only: {written - set(documented)}")
    result = compose("config", "--services")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == written


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_workers_build_from_their_dockerfiles(name: str) -> None:
    service = services()[name]
    build = service["build"]
    assert build["dockerfile"] == DOCKERFILES[name]
    assert (ROOT / DOCKERFILES[name]).is_file()
    assert (ROOT / build.get("context", ".")).resolve() == ROOT
    role = name.removeprefix("worker-")
    assert service["command"] == ["python", "-m", "worker", "--role", role]


def test_gpu_worker_reserves_an_nvidia_gpu() -> None:
    devices = services()["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", [])
               for d in devices), devices


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_workers_scale_and_drain(name: str) -> None:
    service = services()[name]
    assert "container_name" not in service, "a fixed name stops --scale"
    assert "ports" not in service, "a fixed host port stops --scale"
    # Workers drain for up to 30 s after SIGTERM; compose must wait longer before SIGKILL.
    assert seconds(service.get("stop_grace_period", "10s")) >= 45


def test_third_party_images_are_pinned() -> None:
    for name, service in services().items():
        if "build" in service:
            continue
        image = service["image"]
        tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
        assert tag and tag != "latest", f"{name}: image {image!r} is not pinned"


def test_every_service_is_documented() -> None:
    docs = DOCS.read_text()
    missing = [name for name in services() if f"`{name}`" not in docs]
    assert not missing, f"not described in {DOCS.relative_to(ROOT)}: {missing}"


def test_every_setting_is_documented() -> None:
    docs = DOCS.read_text()
    missing = [f"DUB_{field.upper()}" for field in Settings.model_fields
               if f"`DUB_{field.upper()}`" not in docs]
    assert not missing, f"not described in {DOCS.relative_to(ROOT)}: {missing}"


def test_search_attributes_are_exactly_the_services() -> None:
    script = REGISTER.read_text()
    block = re.search(r'^ATTRIBUTES="(.*?)"', script, re.MULTILINE | re.DOTALL)
    assert block, f"no ATTRIBUTES block in {REGISTER.name}"
    pairs = [line.strip().split("=", 1) for line in block.group(1).splitlines() if line.strip()]
    assert all(len(pair) == 2 for pair in pairs), pairs
    registered = dict(pairs)
    assert len(registered) == len(pairs), "an attribute is listed twice"
    assert registered == SEARCH_ATTRIBUTES


@pytest.mark.parametrize("script", sorted((ROOT / "deploy").glob("*.sh")), ids=lambda p: p.name)
def test_deploy_scripts_are_posix_sh(script: Path) -> None:
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no sh")
    result = subprocess.run([sh, "-n", str(script)], capture_output=True, text=True,
                            timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr
    assert script.read_text().startswith("#!/bin/sh\n")
    assert "set -eu" in script.read_text()


@pytest.mark.parametrize("dockerfile", sorted(DOCKERFILES.values()))
def test_dockerfiles_copy_every_package_and_run_unprivileged(dockerfile: str) -> None:
    text = (ROOT / dockerfile).read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [pattern.rstrip("*") for pattern in include]
    copied = set(re.findall(r"^COPY (\S+) \./", text, re.MULTILINE))
    assert set(packages) <= copied, f"{dockerfile} does not copy {set(packages) - copied}"
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), f"{dockerfile} runs as root"
    assert re.search(r"^STOPSIGNAL SIGTERM$", text, re.MULTILINE)
    assert "PYTHONUNBUFFERED=1" in text


@pytest.mark.parametrize("name", sorted(PROBES))
def test_every_worker_and_the_api_have_a_healthcheck(name: str) -> None:
    check = services()[name].get("healthcheck")
    assert check and not check.get("disable"), f"{name} has no healthcheck"
    path, variable = PROBES[name]
    test = check["test"]
    assert test[:3] == ["CMD", "python", "-c"] and path in test[3], test
    assert int(services()[name]["environment"][variable]) > 0
    assert seconds(check["timeout"]) < seconds(check["interval"])
    assert int(check["retries"]) >= 2
    if name == "worker-gpu":  # ready only once the speech model is on the GPU
        cpu = services()["worker-cpu"]["healthcheck"]["start_period"]
        assert seconds(check["start_period"]) > seconds(cpu)


def test_the_api_runs_the_cpu_image_against_the_same_services() -> None:
    api, cpu = services()["api"], services()["worker-cpu"]
    assert api["command"] == ["python", "-m", "api"]
    assert api["image"] == cpu["image"]
    assert api["build"]["dockerfile"] == DOCKERFILES["worker-cpu"]
    for setup in ("temporal-setup", "minio-setup"):
        assert api["depends_on"][setup]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["temporal"]["condition"] == "service_healthy"
    shared = [k for k in cpu["environment"]
              if k.startswith(("TEMPORAL_", "DUB_STORE", "DUB_S3_"))]
    assert {"TEMPORAL_ADDRESS", "DUB_STORE", "DUB_S3_SECRET_KEY"} <= set(shared)
    assert {k: api["environment"].get(k) for k in shared} == {
        k: cpu["environment"][k] for k in shared}
    # The workers' own secrets stay with the workers.
    assert not {"DUB_WEBHOOK_SECRET", "DUB_TRANSLATOR_API_KEY"} & set(api["environment"])
    env = api["environment"]
    assert env["DUB_API_HOST"] == "0.0.0.0"
    ports = " ".join(str(p if isinstance(p, str) else p.get("target")) for p in api["ports"])
    assert re.search(rf"(^|:){env['DUB_API_PORT']}(/tcp)?( |$)", ports), api["ports"]


@pytest.mark.parametrize("variable", API_SECRETS)
def test_the_api_secrets_are_required_not_defaulted(variable: str) -> None:
    value = written()["api"]["environment"][variable]
    assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]*\.env[^}}]*\}}", value), value


def test_the_cpu_image_installs_the_api_extra() -> None:
    text = (ROOT / DOCKERFILES["worker-cpu"]).read_text()
    extras = {e.strip() for group in re.findall(r"pip install[^\n]*'\.\[([^\]]*)\]'", text)
              for e in group.split(",")}
    assert "api" in extras, f"{DOCKERFILES['worker-cpu']} installs extras {extras}"
    # pip only warns about an extra the project does not declare.
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras <= set(declared), f"undeclared extras: {extras - set(declared)}"
