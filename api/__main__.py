"""`python -m api`: serve the HTTP API; `python -m api hash-key KEY`: the hash for DUB_API_KEYS."""

from __future__ import annotations

import logging
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI

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
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                            timeout_graceful_shutdown=30, log_level="info", proxy_headers=False)
    Server(config, app).run()
    return 0


class Server(uvicorn.Server):
    """On SIGTERM/SIGINT the event streams end at once with their final event; uploads in
    flight get up to 30 s to finish (an unfinished one leaves nothing behind)."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        service = getattr(self.app.state, "service", None)
        if service is not None:
            service.hub.begin_close()
        super().handle_exit(sig, frame)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
