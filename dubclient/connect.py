"""Connecting to Temporal with the service's data converter, tracing and metrics runtime
(shared by workers and the starter)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from dubbing.settings import Settings
from dubclient import telemetry


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=settings.temporal_tls,
        data_converter=pydantic_data_converter,
        interceptors=telemetry.interceptors(),
        runtime=telemetry.runtime(settings),
    )
