"""A store in an S3 or MinIO bucket, on the `minio` client.

Files stream from and to disk (multipart upload one part at a time, download to a temporary
file then rename), so a video is never held in memory. Transient failures (connection errors,
timeouts, 5xx answers, SlowDown) are retried with exponential backoff, then reported as
`StorageError`. A write or delete the bucket refuses for good (access denied, full, over
quota, credentials refused) is a `StorageUnwritableError` at once, naming the bucket and key.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import WaitBaseT

from dubbing.errors import StorageError, StorageUnwritableError
from dubbing.storage.base import Store, check_key

T = TypeVar("T")

PART_SIZE = 16 * 1024 * 1024
RETRY_ATTEMPTS = 4
RETRY_WAIT: WaitBaseT = wait_exponential(multiplier=0.5, max=4)  # 0.5 s, 1 s, 2 s
_TIMEOUT = urllib3.Timeout(connect=10, read=120)
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound"})
_TRANSIENT = frozenset({"SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"})
# Answers to a write or delete that no retry changes: code -> (what the bucket is, what to do).
_REFUSED = {
    "AccessDenied": ("denies this worker writes", "give the worker's account write access"),
    "AllAccessDisabled": ("has all access disabled", "enable access to the bucket"),
    "InvalidAccessKeyId": ("does not know the worker's access key", "check DUB_S3_ACCESS_KEY"),
    "SignatureDoesNotMatch": ("refuses the worker's secret key", "check DUB_S3_SECRET_KEY"),
    "XMinioStorageFull": ("is full", "free space on the object store"),
    "XMinioAdminBucketQuotaExceeded": ("is over its quota", "free space or raise the quota"),
}
_DOING = {"upload": "uploading", "delete": "deleting", "list": "listing",
          "create the bucket for": "creating the bucket for"}


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed: network trouble, throttling or a 5xx answer."""
    if isinstance(exc, urllib3.exceptions.HTTPError | ServerError):
        return True
    if isinstance(exc, S3Error):
        if exc.code in _REFUSED:  # a full MinIO answers 507, which is no passing trouble
            return False
        status = getattr(exc.response, "status", 0) or 0
        return exc.code in _TRANSIENT or status >= 500
    if isinstance(exc, InvalidResponseError):
        return getattr(exc, "_code", 0) >= 500
    return False


class S3Store(Store):
    """Objects in `bucket`, named `prefix/key` when a prefix is given."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str, access_key: str,
                 secret_key: str, secure: bool = False, region: str | None = None,
                 ca_certs: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = check_key(prefix.rstrip("/")) if prefix.strip("/") else ""
        self.endpoint = endpoint
        http = urllib3.PoolManager(  # as minio builds it, with shorter timeouts and retries
            timeout=_TIMEOUT, maxsize=10, cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(),
            # One quick retry per request (e.g. one multipart part); longer outages go to tenacity.
            retries=urllib3.Retry(total=1, status_forcelist=[500, 502, 503, 504]),
        )
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key,
                             secure=secure, region=region, http_client=http)
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Store({self.url!r}, endpoint={self.endpoint!r})"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, action: str, key: str, op: Callable[[], T], write: bool = False) -> T:
        """Run `op`, retrying transient failures; turn what remains into `StorageError`, or
        for a write or delete refused for good, `StorageUnwritableError`."""
        retrying = Retrying(stop=stop_after_attempt(RETRY_ATTEMPTS), wait=RETRY_WAIT,
                            retry=retry_if_exception(is_transient), reraise=True)
        try:
            return retrying(op)
        except S3Error as exc:
            if write and exc.code in _REFUSED:
                raise self._refused(action, key, exc.code, exc.message) from exc
            if exc.code in _MISSING:
                raise StorageError(
                    f"cannot {action} {key!r}: no such object in {self.url} at {self.endpoint}"
                ) from exc
            raise self._failure(action, key, exc) from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise self._failure(action, key, exc) from exc

    def _failure(self, action: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"cannot {action} {key!r} in {self.url} at {self.endpoint} "
                            f"(after {RETRY_ATTEMPTS} attempts at most): {exc}")

    def _refused(self, action: str, key: str, code: str,
                 message: str | None) -> StorageUnwritableError:
        """The one line for a refused write: the bucket, the key, S3's answer (never the
        credentials: S3 does not echo them, and the message is only S3's own text)."""
        state, remedy = _REFUSED[code]
        return StorageUnwritableError(
            f"storage {self.url} at {self.endpoint} {state}: {_DOING.get(action, action)} "
            f"{key} failed ({code}: {message or 'no message'}); {remedy} and submit again")

    def _ensure_bucket(self, key: str) -> None:
        """Create the bucket on the first write when it is missing; once per store."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return

            def create() -> None:
                if self._client.bucket_exists(self.bucket):
                    return
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

            self._call("create the bucket for", key, create, write=True)
            self._bucket_ready = True

    def put_file(self, key: str, source: Path) -> None:
        name = self._name(key)
        self._ensure_bucket(key)
        # One part at a time: minio queues parallel parts without bound, so a disk faster than
        # the network would pull the whole file into memory.
        self._call("upload", key, lambda: self._client.fput_object(
            self.bucket, name, str(source), part_size=PART_SIZE, num_parallel_uploads=1),
            write=True)

    def get_file(self, key: str, dest: Path) -> None:
        name = self._name(key)
        dest.parent.mkdir(parents=True, exist_ok=True)

        def download() -> None:
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            os.close(fd)
            try:  # fget_object streams into `tmp`, then renames it over `dest`
                self._client.fget_object(self.bucket, name, str(dest), tmp_file_path=tmp)
            finally:
                Path(tmp).unlink(missing_ok=True)

        self._call("download", key, download)

    def put_bytes(self, key: str, data: bytes) -> None:
        name = self._name(key)
        self._ensure_bucket(key)
        self._call("upload", key, lambda: self._client.put_object(
            self.bucket, name, io.BytesIO(data), len(data)), write=True)

    def get_bytes(self, key: str) -> bytes:
        name = self._name(key)

        def read() -> bytes:
            response = self._client.get_object(self.bucket, name)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return self._call("read", key, read)

    def exists(self, key: str) -> bool:
        name = self._name(key)

        def stat() -> bool:
            try:
                self._client.stat_object(self.bucket, name)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return False
                raise
            return True

        return self._call("check", key, stat)

    def delete_prefix(self, prefix: str) -> int:
        base = self._name(prefix.rstrip("/"))

        def names() -> list[str]:
            found = self._client.list_objects(self.bucket, prefix=base, recursive=True)
            try:
                return [o.object_name for o in found if o.object_name
                        and (o.object_name == base or o.object_name.startswith(base + "/"))]
            except S3Error as exc:
                if exc.code == "NoSuchBucket":
                    return []
                raise

        def remove(doomed: list[str]) -> None:
            errors = list(self._client.remove_objects(self.bucket, map(DeleteObject, doomed)))
            refused = [e for e in errors if e.code in _REFUSED]  # the iterator did the work
            if refused:
                raise self._refused("delete", prefix, refused[0].code, refused[0].message)
            failed = [f"{e.name}: {e.code}" for e in errors]
            if failed:
                raise StorageError(f"cannot delete {len(failed)} objects under {prefix!r} in "
                                   f"{self.url} at {self.endpoint}: {', '.join(failed[:5])}")

        doomed = self._call("list", prefix, names, write=True)
        if doomed:
            self._call("delete", prefix, lambda: remove(doomed), write=True)
        return len(doomed)

    def presigned_url(self, key: str, expires: timedelta) -> str:
        name = self._name(key)
        return self._call("sign a URL for", key, lambda: self._client.presigned_get_object(
            self.bucket, name, expires=expires))
