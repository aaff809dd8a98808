"""Pagination parameters and the whitelisted sort parser."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from roomtime.core.pagination import (
    Page,
    PageParams,
    PageParamsDep,
    Sort,
    ordered,
    page_statements,
    sort_options,
    sort_param,
)

pytestmark = pytest.mark.unit


def test_sort_parses_direction() -> None:
    assert Sort.parse("name") == Sort("name", descending=False)
    assert Sort.parse("-created_at") == Sort("created_at", descending=True)
    assert str(Sort.parse("-capacity")) == "-capacity"


def test_sort_options_pair_each_field_with_its_descending_form() -> None:
    assert sort_options("name", "capacity") == ("name", "-name", "capacity", "-capacity")


def test_default_must_be_one_of_the_options() -> None:
    with pytest.raises(ValueError, match="not one of"):
        sort_param("name", default="-created_at")


def test_page_echoes_its_parameters() -> None:
    page = PageParams(limit=2, offset=4).page(["a", "b"], total=9)
    assert page == Page[str](items=["a", "b"], total=9, limit=2, offset=4)


_SORT = sort_param("name", "created_at", default="name")
_app = FastAPI()


@_app.get("/items")
async def _items(page: PageParamsDep, sort: Annotated[Sort, Depends(_SORT)]) -> dict[str, object]:
    return {"limit": page.limit, "offset": page.offset, "sort": str(sort)}


async def _get(**params: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/items", params=params)  # type: ignore[arg-type]


async def test_defaults_and_accepted_values() -> None:
    assert (await _get()).json() == {"limit": 20, "offset": 0, "sort": "name"}
    got = await _get(limit=100, offset=5, sort="-created_at")
    assert got.json() == {"limit": 100, "offset": 5, "sort": "-created_at"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "password"}, "sort"),
        ({"sort": "--name"}, "sort"),
    ],
)
async def test_out_of_range_or_unknown_values_are_rejected(
    params: dict[str, object], field: str
) -> None:
    response = await _get(**params)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


def test_openapi_lists_the_sort_whitelist() -> None:
    params = {p["name"]: p for p in _app.openapi()["paths"]["/items"]["get"]["parameters"]}
    assert params["sort"]["schema"]["enum"] == ["name", "-name", "created_at", "-created_at"]


def test_page_statements_order_with_a_tiebreak_and_count_without_paging() -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, select

    table = Table("thing", MetaData(), Column("id", Integer), Column("name", String))
    order = ordered(table.c.name, Sort.parse("-name"), table.c.id)
    page, count = page_statements(select(table).where(table.c.id > 3), order, 20, 40)
    page_sql = str(page.compile(compile_kwargs={"literal_binds": True}))
    count_sql = str(count.compile(compile_kwargs={"literal_binds": True}))
    assert "ORDER BY thing.name DESC, thing.id" in page_sql
    assert "LIMIT 20 OFFSET 40" in page_sql
    assert "count(*)" in count_sql and "thing.id > 3" in count_sql
    assert "ORDER BY" not in count_sql and "LIMIT" not in count_sql
