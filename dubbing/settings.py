"""Configuration for workers and the starter, read once from the environment (DUB_*)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUB_", extra="ignore")

    temporal_address: str = Field(
        default="127.0.0.1:7233",
        validation_alias=AliasChoices("DUB_TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS"),
    )
    temporal_namespace: str = Field(
        default="default",
        validation_alias=AliasChoices("DUB_TEMPORAL_NAMESPACE", "TEMPORAL_NAMESPACE"),
    )
    temporal_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("DUB_TEMPORAL_API_KEY", "TEMPORAL_API_KEY"),
    )
    temporal_tls: bool | None = Field(
        default=None, description="TLS to the frontend; unset: on exactly when an API key is set "
        "(an API key must never cross the network in clear text)")
    store: str = Field(default=".state/store",
                       description="a directory, file://DIR, or s3://BUCKET[/PREFIX]")
    s3_endpoint: str = Field(default="127.0.0.1:9000", description="S3/MinIO host:port")
    s3_access_key: str | None = Field(default=None, description="required for s3:// storage")
    s3_secret_key: str | None = Field(default=None, description="required for s3:// storage")
    s3_secure: bool = Field(default=False, description="use HTTPS for the S3 endpoint")
    s3_region: str | None = None
    presign_hours: float = Field(default=24.0, gt=0, le=168, description="result URL lifetime")
    scratch_dir: Path = Path(tempfile.gettempdir()) / "dub-scratch"
    cpu_slots: int = Field(default=4, ge=1, description="concurrent activities, CPU worker")
    gpu_slots: int = Field(default=0, ge=0, description="concurrent activities, GPU worker "
                           "(0: one on a GPU, two on a CPU)")
    model_idle_seconds: float = Field(
        default=900.0, ge=0, description="unload a model unused this long (0: never)")
    web_ui: str = "http://127.0.0.1:8233"
    traces: str = Field(default="none", pattern="^(otlp|console|none)$",
                        description="trace exporter; otlp uses OTEL_EXPORTER_OTLP_ENDPOINT")
    metrics: str = Field(default="none", pattern="^(otlp|prometheus|console|none)$",
                         description="metrics exporter")
    prometheus_port: int = Field(default=9464, description="port of the Prometheus endpoint")
    breaker_failures: int = Field(default=3, ge=1,
                                  description="provider failures in a row that open the breaker")
    breaker_reset_seconds: float = Field(default=60.0, gt=0,
                                         description="cool-down before probing the provider")
    max_media_hours: float = Field(default=12.0, gt=0,
                                   description="longest input accepted, in hours")
    max_video_width: int = Field(default=7680, gt=0, description="widest video accepted (px)")
    max_video_height: int = Field(default=4320, gt=0, description="tallest video accepted (px)")
    allow_private_addresses: bool = Field(
        default=False, description="let webhooks reach loopback and private addresses "
        "(a trusted network, or tests)")
    webhook_secret: str | None = Field(
        default=None, description="key that signs job-end webhooks (HMAC-SHA256)")
    translator_fallback: str = Field(default="apertium",
                                     description="offline engine used while a provider is down")
    translator_api_key: str | None = Field(
        default=None, description="API key of the deep-translator provider")
    translator_url: str | None = Field(
        default=None, description="custom_url of the provider (a LibreTranslate server)")
    asr_threads: int = Field(default=0, ge=0, description="CTranslate2 CPU threads (0: all)")
    malloc_mmap_threshold_mib: int = Field(
        default=8, ge=0, le=32, description="GPU worker: blocks above this many MiB are mapped "
        "on their own and returned when freed (glibc; 0: glibc's sliding default)")
    hf_hub_offline: bool = Field(
        default=False, validation_alias=AliasChoices("HF_HUB_OFFLINE", "DUB_HF_HUB_OFFLINE"),
        description="never try to download a speech model")
    ssl_cert_file: str | None = Field(
        default=None, validation_alias=AliasChoices("SSL_CERT_FILE", "DUB_SSL_CERT_FILE"),
        description="CA bundle for HTTPS to the S3 endpoint (default: certifi's)")
    api_host: str = Field(default="127.0.0.1", description="address the HTTP API listens on")
    api_port: int = Field(default=8000, ge=1, le=65535, description="port of the HTTP API")
    api_keys: str | None = Field(
        default=None, description="the API's keys as 'tenant:sha256-hex' pairs, comma "
        "separated (unset: only requests from this machine, as tenant 'local')")
    api_signing_key: str | None = Field(
        default=None, description="signs the API's download links; set the same value on "
        "every API replica (unset: a random key per process)")
    api_max_upload_mb: float = Field(default=4096.0, gt=0,
                                     description="largest upload or source_url accepted (MiB)")
    api_events_interval: float = Field(
        default=1.0, ge=0.2, description="seconds between progress queries of a watched job "
        "(one per job and API process, however many clients watch)")
    deployment_name: str | None = Field(
        default=None, description="Temporal worker deployment this worker belongs to; with "
        "build_id, worker versioning: each job stays on the build that started it")
    build_id: str | None = Field(
        default=None, description="this worker's build (e.g. the image tag); both roles of a "
        "release share it")
    health_port: int | None = Field(
        default=None, ge=0, le=65535, description="worker liveness/readiness probe port "
        "(HTTP /healthz and /readyz; unset: no probe)")
    otlp_endpoint: str = Field(
        default="http://127.0.0.1:4318",
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "DUB_OTLP_ENDPOINT"))
    otlp_metrics_endpoint: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                                                    "DUB_OTLP_METRICS_ENDPOINT"))


def defaults() -> Settings:
    """The settings' defaults without reading the environment: for code run outside a worker
    or the starter (tests, the plain benchmark) that passes no settings."""
    return Settings.model_construct()
