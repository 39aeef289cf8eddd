"""Object storage behind one interface; media moves between activities as keys."""

from dubbing.storage.base import Store, open_store
from dubbing.storage.local import LocalStore

__all__ = ["LocalStore", "Store", "open_store"]
