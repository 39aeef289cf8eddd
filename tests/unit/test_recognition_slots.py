"""How many recognitions the GPU worker runs at once."""

from __future__ import annotations

import pytest

from dubbing.engines import asr
from dubbing.settings import Settings


def test_a_cpu_host_runs_two_recognitions_and_a_gpu_one() -> None:
    assert asr.recognition_slots(Settings(gpu_slots=0), device="cpu") == asr.CPU_SLOTS == 2
    assert asr.recognition_slots(Settings(gpu_slots=0), device="cuda") == 1


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_the_setting_wins_on_either(device: str) -> None:
    assert asr.recognition_slots(Settings(gpu_slots=3), device=device) == 3


def test_the_model_has_a_replica_per_slot() -> None:
    model = asr.load_model("tiny.en", Settings(gpu_slots=0, hf_hub_offline=True))
    assert model.model.num_workers == asr.recognition_slots(Settings(gpu_slots=0))
