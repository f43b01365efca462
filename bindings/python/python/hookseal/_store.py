"""``hookseal.AsyncStore``: the dedupe store (``hookseal.Store``, one Rust implementation) for asyncio code.

Each call runs the blocking ``Store`` call in a worker thread of the running loop's default executor (the native call
releases the GIL), so the event loop never waits for SQLite's lock or Redis's network. The semantics, backends,
errors and timeouts are the ``Store``'s: the same scenario vectors pin both.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Callable, Optional, Union

from ._errors import ConfigError
from ._hookseal import Claim, Store

__all__ = ["AsyncStore"]

logger = logging.getLogger("hookseal")

class AsyncStore:
    """A :class:`hookseal.Store` whose ``claim``, ``complete`` and ``release`` are coroutines.

    ``AsyncStore(url, lease=None, retention=None)`` opens a store as ``Store`` does; ``AsyncStore(store)`` wraps an
    open one (so sync and async code of one process can share it)."""

    __slots__ = ("_store",)

    def __init__(
        self, url: Union[str, Store], *, lease: Optional[float] = None, retention: Optional[float] = None
    ) -> None:
        if isinstance(url, Store):
            if lease is not None or retention is not None:
                raise ConfigError("invalid_option", "lease and retention are the wrapped Store's: give them to it")
            self._store = url
        else:
            self._store = Store(url, lease=lease, retention=retention)

    @property
    def store(self) -> Store:
        """The blocking store underneath."""
        return self._store

    @property
    def backend(self) -> str:
        """``memory``, ``sqlite`` or ``redis``."""
        return self._store.backend

    @property
    def url(self) -> str:
        """The URL with any password replaced by ``***``."""
        return self._store.url

    @property
    def lease(self) -> float:
        """Seconds a claim holds its key."""
        return self._store.lease

    @property
    def retention(self) -> float:
        """Seconds a processed key is remembered."""
        return self._store.retention

    async def claim(self, namespace: str, key: Union[str, bytes]) -> Claim:
        """Claims ``key`` in ``namespace``, as :meth:`hookseal.Store.claim` does."""
        loop = asyncio.get_running_loop()
        pending = loop.run_in_executor(None, self._store.claim, namespace, key)
        try:
            # Shielded: a cancelled caller must not lose a claim the thread still wins (see _abandoned).
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            pending.add_done_callback(functools.partial(self._abandoned, loop))
            raise

    async def complete(self, claim: Claim) -> bool:
        """Marks a claimed key done, as :meth:`hookseal.Store.complete` does."""
        return await self._run(self._store.complete, claim)

    async def release(self, claim: Claim) -> bool:
        """Forgets a claimed key, as :meth:`hookseal.Store.release` does."""
        return await self._run(self._store.release, claim)

    def _settle_soon(self, claim: Claim, *, done: bool) -> None:
        """Completes (``done``) or releases ``claim`` in a worker thread without waiting for it: for a helper whose task
        is being cancelled (its awaits would be cancelled too). A failure is logged."""
        call = self._store.complete if done else self._store.release
        future = asyncio.get_running_loop().run_in_executor(None, call, claim)
        future.add_done_callback(_log_release_failure)

    @staticmethod
    async def _run(call: Callable[[Claim], bool], claim: Claim) -> bool:
        # Shielded: a caller cancelled while the job waits for a thread must not drop its complete or release.
        return await asyncio.shield(asyncio.get_running_loop().run_in_executor(None, call, claim))

    def _abandoned(self, loop: asyncio.AbstractEventLoop, pending: asyncio.Future[Claim]) -> None:
        # The caller was cancelled (a client gone, a shutdown) while the thread claimed: if it won the key, nobody
        # will process it, so give it back at once rather than leave the provider's retry in_progress for the lease.
        if pending.cancelled() or pending.exception() is not None:
            return
        claim = pending.result()
        if claim.status == "claimed":
            loop.run_in_executor(None, self._store.release, claim).add_done_callback(_log_release_failure)

    def __repr__(self) -> str:
        return f"AsyncStore(backend={self.backend!r}, url={self.url!r})"


def _log_release_failure(future: asyncio.Future[bool]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("could not settle an abandoned claim (its lease runs out by itself): %s", future.exception())


AsyncStore.__module__ = "hookseal"
