"""Offset pagination and whitelisted sorting for list endpoints (SPEC §4 "Lists").

A list answers `{"items": [...], "total", "limit", "offset"}` with `limit` 1–100 (default
20) and `offset` >= 0. `sort` takes one field of a whitelist, `-` in front for descending;
anything else is a 422 with the usual validation details, because the whitelist is part of
the parameter's type (and so also appears as an enum in the OpenAPI schema).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Far beyond any real list, but keeps the value inside PostgreSQL's bigint.
MAX_OFFSET = 1_000_000_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(ge=0, description="Number of items matching the filters")
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0)


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def page(self, items: list[T], total: int) -> Page[T]:
        return Page(items=items, total=total, limit=self.limit, offset=self.offset)


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Page size (1–100)")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool = False

    @classmethod
    def parse(cls, value: str) -> Sort:
        return cls(value[1:], True) if value.startswith("-") else cls(value, False)

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def sort_options(*fields: str) -> tuple[str, ...]:
    """`name, -name, created_at, -created_at, …` for the given sortable fields."""
    return tuple(option for field in fields for option in (field, f"-{field}"))


def sort_param(*fields: str, default: str) -> Callable[..., Coroutine[Any, Any, Sort]]:
    """A dependency reading `?sort=` restricted to `fields` (each also with `-`)."""
    options = sort_options(*fields)
    if default not in options:
        raise ValueError(f"default sort {default!r} is not one of {options}")
    # A Literal built at runtime: FastAPI validates it (422 with details) and documents the
    # enum. Set as a real object, since postponed annotations cannot see this local name.
    allowed: Any = Literal[options]  # type: ignore[valid-type]

    async def dependency(sort: str = default) -> Sort:
        return Sort.parse(sort)

    dependency.__annotations__["sort"] = Annotated[
        allowed, Query(description="Sort field; prefix with `-` for descending order")
    ]
    return dependency


def page_statements(
    stmt: Select[tuple[R]],
    order: Sequence[ColumnElement[Any]],
    limit: int | ColumnElement[int],
    offset: int | ColumnElement[int],
) -> tuple[Select[tuple[R]], Select[tuple[int]]]:
    """The page query and the count query of a list (separate so their plans can be read).

    `order` must end in a unique column (the primary key), so pages never overlap or skip.
    `limit` and `offset` may be parameters, for a statement compiled once (core.prepared).
    """
    page = stmt.order_by(*order).limit(limit).offset(offset)
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    return page, count


async def fetch_page(
    session: AsyncSession,
    stmt: Select[tuple[R]],
    order: Sequence[ColumnElement[Any]],
    limit: int,
    offset: int,
) -> tuple[list[R], int]:
    """One page of `stmt` in `order` and the total number of its rows: every list
    repository answers through this."""
    page, count = page_statements(stmt, order, limit, offset)
    rows = await session.execute(page)
    return list(rows.scalars().all()), int(await session.scalar(count) or 0)


def ordered(
    column: ColumnElement[Any], sort: Sort, tiebreak: ColumnElement[Any]
) -> list[ColumnElement[Any]]:
    """ORDER BY for a whitelisted sort: the column in its direction, then the tiebreak."""
    return [column.desc() if sort.descending else column.asc(), tiebreak]
