"""An in-process S3 server (moto) for tests of the S3 store; no network needed.

Use it by importing the fixture into a test module: `from tests.s3 import s3_server`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import urllib3
from minio.error import S3Error

from dubbing.settings import Settings
from dubbing.storage.s3 import S3Store

ACCESS_KEY = "test"
SECRET_KEY = "test"
BUCKET = "dub-test"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3 server on a free local port for the whole run; yields "127.0.0.1:PORT".

    Data lives in memory and is shared by every test, so tests use their own key prefixes.
    The server checks no credentials, so no AWS_* variables are needed.
    """
    from moto.server import ThreadedMotoServer

    requests_log = logging.getLogger("werkzeug")  # one INFO line per request otherwise
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()
        requests_log.setLevel(level)


def s3_settings(endpoint: str, store: str = f"s3://{BUCKET}",
                base: Settings | None = None) -> Settings:
    """A copy of `base` (or default settings) whose store is `store` on the test server."""
    return (base or Settings()).model_copy(update={
        "store": store, "s3_endpoint": endpoint, "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY, "s3_secure": False, "s3_region": None,
    })


def s3_store(endpoint: str, bucket: str = BUCKET, prefix: str | None = None) -> S3Store:
    """A store on the test server, under a fresh key prefix unless one is given."""
    prefix = f"t-{uuid.uuid4().hex[:10]}" if prefix is None else prefix
    return S3Store(bucket, prefix, endpoint=endpoint, access_key=ACCESS_KEY,
                   secret_key=SECRET_KEY)


def s3_error(code: str, status: int) -> S3Error:
    """An S3 error answer as the client raises it, e.g. `s3_error("SlowDown", 503)`."""
    return S3Error(urllib3.HTTPResponse(status=status), code, code, "/", "request", "host")
