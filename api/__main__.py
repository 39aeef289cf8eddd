"""`python -m api`: serve the HTTP API; `python -m api hash-key KEY`: the hash for DUB_API_KEYS."""

from __future__ import annotations

import logging
import sys

import uvicorn

from api.app import create_app
from api.auth import hash_key, parse_keys
from dubbing.errors import ConfigurationError
from dubbing.settings import Settings


def main(argv: list[str]) -> int:
    if argv[:1] == ["hash-key"]:
        if len(argv) != 2 or not argv[1]:
            print("usage: python -m api hash-key KEY", file=sys.stderr)
            return 2
        print(hash_key(argv[1]))
        return 0
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:
        parse_keys(settings.api_keys)
    except ConfigurationError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                timeout_graceful_shutdown=30, log_level="info", proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
