"""The Kubernetes manifests (deploy/k8s/) validate offline against the Kubernetes schemas
(kubernetes-validate), and the KEDA scalers, probes and grace periods agree with the service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dubbing.contract import CPU_TASK_QUEUE, GPU_TASK_QUEUE, DubJob

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
VALIDATE = Path(sys.executable).parent / "kubernetes-validate"


def documents() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VALIDATE), "--kubernetes-version", "1.33", *map(str, paths)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_manifests_validate_against_the_kubernetes_schemas() -> None:
    done = validate(*MANIFESTS)
    assert done.returncode == 0, done.stdout + done.stderr
    core = [d for d in documents() if d["kind"] != "ScaledObject"]  # KEDA's: checked below
    assert done.stdout.count("passed") == len(core) == 6


def test_the_validator_refuses_a_broken_manifest(tmp_path: Path) -> None:
    broken = (ROOT / "deploy" / "k8s" / "api.yaml").read_text().replace(
        "replicas: 2", "replicas: two", 1)
    (tmp_path / "broken.yaml").write_text(broken)
    done = validate(tmp_path / "broken.yaml")
    assert done.returncode != 0 and "replicas" in done.stdout + done.stderr


def test_each_worker_scales_on_its_own_task_queue() -> None:
    deployments, scalers = of_kind("Deployment"), of_kind("ScaledObject")
    queues = {}
    for name, scaler in scalers.items():
        target = scaler["spec"]["scaleTargetRef"]["name"]
        assert target in deployments and target == name
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "temporal"
        assert {"endpoint", "namespace", "taskQueue", "targetQueueSize"} <= set(trigger["metadata"])
        queues[name] = trigger["metadata"]["taskQueue"]
    assert queues == {"dubbing-worker-cpu": CPU_TASK_QUEUE, "dubbing-worker-gpu": GPU_TASK_QUEUE}
    # GPU pods go away when idle; the CPU worker keeps a poller for workflow tasks.
    assert scalers["dubbing-worker-gpu"]["spec"]["minReplicaCount"] == 0
    assert scalers["dubbing-worker-cpu"]["spec"]["minReplicaCount"] >= 1


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("name", ["dubbing-worker-cpu", "dubbing-worker-gpu"])
def test_workers_are_ready_from_their_probe_and_outlive_the_longest_heartbeat(name: str) -> None:
    deployment = of_kind("Deployment")[name]
    container = _container(deployment)
    port = next(p for p in container["ports"] if p["name"] == "health")["containerPort"]
    assert str(port) == of_kind("ConfigMap")["dubbing-config"]["data"]["DUB_HEALTH_PORT"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    longest = DubJob.model_fields["heartbeat_seconds"].metadata
    limit = max(m.le for m in longest if hasattr(m, "le"))
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > limit
    assert "requests" in container["resources"]


def test_the_gpu_worker_asks_for_a_gpu_and_the_api_for_none() -> None:
    deployments = of_kind("Deployment")
    gpu = _container(deployments["dubbing-worker-gpu"])["resources"]
    assert gpu["requests"]["nvidia.com/gpu"] == gpu["limits"]["nvidia.com/gpu"] == "1"
    for name in ("dubbing-worker-cpu", "dubbing-api"):
        assert "nvidia.com/gpu" not in str(_container(deployments[name])["resources"])
    api = _container(deployments["dubbing-api"])
    assert api["args"] == ["python", "-m", "api"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_no_secret_is_in_the_manifests() -> None:
    config = of_kind("ConfigMap")["dubbing-config"]["data"]
    for secret in ("DUB_S3_SECRET_KEY", "DUB_S3_ACCESS_KEY", "DUB_WEBHOOK_SECRET",
                   "DUB_API_KEYS", "DUB_API_SIGNING_KEY"):
        assert secret not in config
    assert not of_kind("Secret")
    for deployment in of_kind("Deployment").values():
        refs = _container(deployment)["envFrom"]
        assert {"secretRef": {"name": "dubbing-secrets"}} in refs
