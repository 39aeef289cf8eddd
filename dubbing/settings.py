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
    temporal_tls: bool = False
    store: str = Field(default=".state/store", description="directory or file://DIR")
    scratch_dir: Path = Path(tempfile.gettempdir()) / "dub-scratch"
    cpu_slots: int = Field(default=4, ge=1, description="concurrent activities, CPU worker")
    gpu_slots: int = Field(default=1, ge=1, description="concurrent activities, GPU worker")
    web_ui: str = "http://127.0.0.1:8233"
