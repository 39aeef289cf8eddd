"""What every request needs, made once at start: the Temporal client, the store, the keys,
the link signer and the progress hub. Nothing about a job is kept here."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.auth import Keys, parse_keys
from api.events import Hub
from api.signing import Signer
from dubbing.settings import Settings
from dubbing.storage import Store, open_store
from dubclient.client import DubClient
from dubclient.connect import connect


@dataclass
class Service:
    settings: Settings
    dubs: DubClient
    store: Store
    keys: Keys
    signer: Signer
    hub: Hub

    @classmethod
    async def start(cls, settings: Settings) -> Service:
        keys = Keys(parse_keys(settings.api_keys))
        dubs = DubClient(await connect(settings, lazy=True))  # ready or not: /readyz says
        signer = Signer(settings.api_signing_key, settings.presign_hours * 3600)
        return cls(settings, dubs, open_store(settings.store, settings), keys, signer,
                   Hub(settings.api_events_interval))


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def tenant(request: Request) -> str:
    """The request's tenant (401 otherwise): a FastAPI dependency."""
    return service(request).keys.tenant(request)
