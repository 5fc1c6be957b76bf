"""Rows of a prebuilt Core SELECT, read straight from the PostgreSQL driver.

SQLAlchemy's execution around a statement (execution context, cursor adaptation, result
metadata, the greenlet hop) costs about half a millisecond of CPU per query: more than the
driver's whole round trip. For the hottest reads (the public catalogue) a statement is
compiled once per dialect with SQLAlchemy's own compiler; each call binds the parameters
with the columns' own bind processing, runs the SQL on the session's driver connection and
converts each column with its own result processing (aware instants, exact decimals, JSON).
On any other database the statement runs through the session as usual, and the rows are
alike: attributes by column name and `_asdict()`.

Connections and transactions: in a writing session, the statement runs on the session's
connection, in the transaction SQLAlchemy opened with the session's first statement (a read
made before any, such as the caller's roles at the start of a request, runs on its own, not
in the transaction that follows). A read-only session has no transaction (each statement on
its own); until it has a connection of its own, each statement borrows one from the pool for
just that statement (a tenth of the cost of the session's connection, and a request never
holds two). A borrowed connection that fails as gone is discarded, and so is every pooled
connection older than it (the server restarted: they are gone too).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool, PoolProxiedConnection
from sqlalchemy.util import await_only, greenlet_spawn

from jiebang_api.kit.db import ReadOnlySession

Processor = Callable[[Any], Any] | None
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


@dataclass
class _Prepared:
    sql: str
    compiled: Any  # the SQLCompiler: its parameter order and literal values
    binders: Mapping[str, Processor]
    types: tuple[Any, ...]  # each column's type, for its dialect
    row: type
    converters: tuple[Processor, ...] | None = None  # once the result's type codes are known


# By statement: the callers build each statement once (module constants, an lru_cache).
_prepared: dict[AnySelect, _Prepared] = {}


def _prepare(statement: AnySelect, dialect: Dialect) -> _Prepared:
    found = _prepared.get(statement)
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect)
    binders = {  # by the names the compiled SQL's positions use
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    columns = list(statement.selected_columns)
    types = tuple(c.type.dialect_impl(dialect) for c in columns)
    row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]
    prepared = _Prepared(compiled.string, compiled, binders, types, row)
    _prepared[statement] = prepared
    return prepared


async def fetch(
    session: AsyncSession, statement: AnySelect, parameters: Mapping[str, Any]
) -> list[Any]:
    """Every row of `statement` with `parameters` (named as its bound parameters)."""
    bind = session.get_bind()
    dialect = bind.dialect
    if dialect.name != "postgresql":
        return list((await session.execute(statement, parameters)).all())
    prepared = _prepare(statement, dialect)
    arguments = _arguments(prepared, parameters)
    pool = bind.engine.pool
    if not isinstance(session, ReadOnlySession) or session.in_transaction():
        pooled = await (await session.connection()).get_raw_connection()
        return await _run_on(pooled, pool, prepared, arguments, dialect)
    return await greenlet_spawn(_borrow_and_run, pool, prepared, arguments, dialect)


def _borrow_and_run(pool: Pool, prepared: _Prepared, arguments: list[Any], dialect: Dialect) -> Any:
    """In one greenlet (checking out and in may do I/O): borrow, run, give back."""
    borrowed = pool.connect()
    try:
        return await_only(_run_on(borrowed, pool, prepared, arguments, dialect))
    finally:
        borrowed.close()


def _arguments(prepared: _Prepared, parameters: Mapping[str, Any]) -> list[Any]:
    """The positional arguments of the compiled SQL, each through its column's bind processing."""
    values = prepared.compiled.construct_params(dict(parameters))
    arguments = []
    for name in prepared.compiled.positiontup:
        value = values[name]
        binder = prepared.binders.get(name)
        arguments.append(binder(value) if binder is not None and value is not None else value)
    return arguments


async def _run_on(
    pooled: PoolProxiedConnection,
    pool: Pool,
    prepared: _Prepared,
    arguments: list[Any],
    dialect: Dialect,
) -> list[Any]:
    """The rows, from the driver connection of `pooled`. A connection the server closed is
    an outage (ConnectionError: 503), and, as SQLAlchemy does on a disconnect, every pooled
    connection as old is replaced at its next checkout (a restarted server closed them too)."""
    driver: Any = pooled.driver_connection
    try:
        return await _run(prepared, driver, arguments, dialect)
    except Exception as error:
        if not driver.is_closed():
            raise
        pool._invalidate(pooled, error, _checkin=False)  # SQLAlchemy's own (no public spelling)
        raise ConnectionError("the database connection was lost") from error


async def _run(
    prepared: _Prepared, driver: Any, arguments: list[Any], dialect: Dialect
) -> list[Any]:
    if prepared.converters is None:  # as SQLAlchemy does from the cursor's description
        described = (await driver.prepare(prepared.sql)).get_attributes()
        prepared.converters = tuple(
            kind.result_processor(dialect, attribute.type.oid)
            for kind, attribute in zip(prepared.types, described, strict=True)
        )
    records = await driver.fetch(prepared.sql, *arguments)
    converters, make = prepared.converters, prepared.row
    return [
        make(
            *(
                value if convert is None else convert(value)
                for convert, value in zip(converters, record, strict=True)
            )
        )
        for record in records
    ]
