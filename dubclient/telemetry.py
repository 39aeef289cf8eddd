"""Traces and metrics for workers and the starter, chosen by environment.

Traces: OpenTelemetry, propagated starter -> workflow -> activities by temporalio's
TracingInterceptor, exported by OTLP over HTTP (`OTEL_EXPORTER_OTLP_ENDPOINT`) or to the console.
Metrics: the Temporal runtime exports its SDK metrics and the service's own (recorded through
`activity.metric_meter()`) by OTLP or on a Prometheus endpoint.
"""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import (
    OpenTelemetryConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)

from dubbing.settings import Settings

_lock = threading.Lock()
_runtime: Runtime | None = None
_traces_ready = False


def interceptors() -> list[TracingInterceptor]:
    """Client interceptors; workers built on the client inherit them."""
    return [TracingInterceptor()]


def setup_tracing(settings: Settings, service: str) -> None:
    """Install the global tracer provider once per process (nothing when traces=none)."""
    global _traces_ready
    with _lock:
        if _traces_ready or settings.traces == "none":
            return
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if settings.traces == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)
        _traces_ready = True


def flush_traces() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(5000)


def runtime(settings: Settings) -> Runtime | None:
    """The Temporal runtime with a metrics exporter, or None for the default (no metrics)."""
    global _runtime
    with _lock:
        if settings.metrics == "none":
            return None
        if _runtime is None:
            _runtime = Runtime(telemetry=TelemetryConfig(metrics=_metrics_config(settings)))
        return _runtime


def _metrics_config(settings: Settings) -> PrometheusConfig | OpenTelemetryConfig:
    if settings.metrics == "prometheus":
        return PrometheusConfig(bind_address=f"0.0.0.0:{settings.prometheus_port}")
    base = settings.otlp_endpoint.rstrip("/")
    url = settings.otlp_metrics_endpoint or f"{base}/v1/metrics"
    return OpenTelemetryConfig(url=url, http=True)
