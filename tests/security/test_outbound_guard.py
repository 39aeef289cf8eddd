"""One guard for every outbound request a user can aim: only http(s), no credentials in the
URL, nothing inside the service's own network in any spelling, at submit and at delivery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dubbing.contract import WebhookEvent
from dubbing.errors import ConfigurationError
from dubbing.netguard import check_outbound
from dubbing.webhook import deliver
from tests.helpers import SAMPLE

INSIDE = [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
    "http://2130706433/hook",  # decimal 127.0.0.1
    "http://0177.0.0.1/hook",  # octal 127.0.0.1
    "http://0x7f000001/hook",  # hexadecimal
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://10.0.0.8/hook", "http://192.168.1.20/hook", "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata, link-local
    "http://0.0.0.0/hook", "http://224.0.0.1/hook", "http://[fe80::1]/hook",
    "http://100.100.100.200/latest/meta-data",  # shared address space, a cloud's metadata
    "http://[2002:7f00:1::]/hook",  # 6to4 carrying 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo carrying 127.0.0.1
    "http://[fc00::1]/hook", "http://192.0.2.10/hook",  # unique local; documentation
]
NOT_HTTP = ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/hook",
            "example.com/hook", "http://"]


@pytest.mark.parametrize("url", INSIDE)
def test_addresses_inside_the_network_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="inside the service's network"):
        check_outbound(url, what="webhook")


@pytest.mark.parametrize("url", INSIDE[:3])
def test_a_setting_allows_them_on_a_trusted_network(url: str) -> None:
    check_outbound(url, allow_private=True)


@pytest.mark.parametrize("url", NOT_HTTP)
def test_only_http_and_https_are_requested(url: str) -> None:
    with pytest.raises(ConfigurationError, match="not an http"):
        check_outbound(url, allow_private=True)


def test_credentials_in_the_url_are_refused_and_never_repeated() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_outbound("https://ops:hunter2@hooks.example.com/x", allow_private=True)
    assert "credentials" in info.value.message and "hunter2" not in info.value.message


def test_a_public_address_passes() -> None:
    check_outbound("https://93.184.216.34/hook")


def test_delivery_checks_again_whatever_was_submitted() -> None:
    event = WebhookEvent(job_id="j", state="failed", input_name="x.mp4", error="e")
    with pytest.raises(ConfigurationError, match="inside the service's network"):
        deliver("http://127.0.0.1:9/hook", event, b"secret")


def test_the_starter_refuses_a_loopback_webhook_before_uploading(tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {"DUB_STORE": str(store), "DUB_TEMPORAL_ADDRESS": "127.0.0.1:9", "PATH": "/usr/bin"}
    ran = subprocess.run(
        [sys.executable, "-m", "starter", "translate", str(SAMPLE), "--to", "es", "--webhook",
         "http://2130706433/hook"], capture_output=True, text=True, env=env, timeout=60,
        check=False)
    assert ran.returncode == 2, ran.stderr
    assert "--webhook http://2130706433 points inside the service's network" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not store.exists() or not any(store.rglob("*")), "nothing uploaded"
