"""Connecting to Temporal with the service's data converter, tracing and metrics runtime
(shared by workers and the starter)."""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from dubbing.settings import Settings
from dubclient import telemetry

log = logging.getLogger(__name__)


async def connect(settings: Settings, *, lazy: bool = False) -> Client:
    """TLS follows DUB_TEMPORAL_TLS; unset, it is on whenever an API key is given. `lazy`: do
    not wait for the server now (a process that must start while Temporal is away)."""
    if settings.temporal_api_key and settings.temporal_tls is False:
        log.warning("DUB_TEMPORAL_TLS=false with an API key: the key is sent in clear text")
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=settings.temporal_tls,
        data_converter=pydantic_data_converter,
        interceptors=telemetry.interceptors(),
        runtime=telemetry.runtime(settings),
        lazy=lazy,
    )
