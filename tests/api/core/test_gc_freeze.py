"""The served process freezes what it built at startup out of the garbage collector's view;
an app made for a test (many per process) does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from roomtime.main import create_app
from roomtime.settings import Settings

pytestmark = pytest.mark.api


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # frozen objects are never collected: give them back for the next tests


async def test_only_the_served_app_freezes_its_startup_objects(
    settings: Settings, unfrozen: None
) -> None:
    plain = create_app(settings)
    async with plain.router.lifespan_context(plain):
        assert gc.get_freeze_count() == 0
    served = create_app(settings, freeze_gc=True)
    async with served.router.lifespan_context(served):
        # The routes, the schema and the open pools are among what was frozen.
        assert gc.get_freeze_count() > 10_000
