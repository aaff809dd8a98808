"""What an availability miss needs of its resource, remembered by the process while the
resource's cache generation holds (R-21/22).

A miss reads the day's slots, and before that the resource's time zone (the day's bounds)
and whether it is active (who may see it): a second statement for facts that rarely change.
The availability cache already tracks every change of a resource: each one bumps the
resource's generation counter after its commit (resources._common.invalidate_on_commit),
and the miss has just read that counter, with the day's, in its one Redis round trip. So the
facts read under a counter value stay good while the counter keeps it, exactly as long as
a cached day does, and a later miss of any day of that resource needs only the day query.

The value to remember under is the one read *before* the database was: a change committed
after it bumps the counter, and the next miss reads the facts again (the cache's own rule,
core.redis.cache). Entries also expire after `max_age_seconds`, well inside the counter's
lifetime, so a counter that expired and started again cannot meet an entry of its last
life. Without a counter value (Redis unavailable) the facts are always read.

Bounded: at most `size` resources, the least recently used forgotten first. One per process
(Infrastructure); nothing is shared between processes, none of it needs to be.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from roomtime.core.prepared import Reader
from roomtime.domains.resources import service
from roomtime.domains.resources.errors import ResourceNotFoundError
from roomtime.domains.resources.schemas import ResourceFacts

DEFAULT_SIZE = 10_000
DEFAULT_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Entry:
    generation: int
    stored_at: float
    facts: ResourceFacts


class FactsMemo:
    def __init__(
        self,
        size: int = DEFAULT_SIZE,
        max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    async def get(
        self,
        session: Reader,
        resource_id: int,
        generation: int | None,
        *,
        include_inactive: bool,
    ) -> ResourceFacts:
        """The resource's facts (the same 404s as `service.get_facts`), read from `session`
        unless remembered under this `generation` of its availability counter."""
        facts = self._remembered(resource_id, generation)
        if facts is None:
            facts = await service.get_facts(session, resource_id, include_inactive=True)
            if generation is not None:
                self._remember(resource_id, generation, facts)
        if not (facts.is_active or include_inactive):
            raise ResourceNotFoundError(f"Resource {resource_id} does not exist")
        return facts

    def __len__(self) -> int:
        return len(self._entries)

    def _remembered(self, resource_id: int, generation: int | None) -> ResourceFacts | None:
        if generation is None:
            return None
        entry = self._entries.get(resource_id)
        if entry is None:
            return None
        if entry.generation != generation or self._monotonic() - entry.stored_at > self._max_age:
            del self._entries[resource_id]
            return None
        self._entries.move_to_end(resource_id)
        return entry.facts

    def _remember(self, resource_id: int, generation: int, facts: ResourceFacts) -> None:
        self._entries[resource_id] = _Entry(generation, self._monotonic(), facts)
        self._entries.move_to_end(resource_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
