"""Core statements compiled once for one database, then run on the driver's own cursor.

A conversation turn is a handful of small statements on every message. Run through a
SQLAlchemy ``Connection``, each one paid for an execution context, a compiled-cache
look-up and a result object: on SQLite about three times what the database itself
spent, and with the connection's own begin and commit most of a turn's CPU. A
``Prepared`` statement keeps what SQLAlchemy gives (the SQL for this dialect, and each
value converted exactly as SQLAlchemy converts it: timestamps, JSON) and leaves out the
rest. Errors are the driver's own; ``bot.store.db`` says what they mean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.sql import ClauseElement, Select

_Process = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Bind:
    key: str  # the parameter's name in the caller's mapping
    fixed: Any  # the value written in the statement itself (a literal), else REQUIRED
    process: _Process  # SQLAlchemy's own conversion of a Python value for this driver


_FROM_CALLER = object()


@dataclass(frozen=True)
class Prepared:
    """One statement as this dialect's driver takes it."""

    sql: str
    binds: tuple[tuple[str, _Bind], ...]  # (name in the SQL, bind), in the SQL's order
    positional: bool
    results: tuple[_Process, ...]  # per result column; empty for a statement without rows

    @classmethod
    def compile(
        cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] = ()
    ) -> Prepared:
        """``keys``: for an INSERT, the columns every call gives (its VALUES list)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
        names = {name: bind for bind, name in compiled.bind_names.items()}
        order = compiled.positiontup if dialect.positional else list(names)
        binds = []
        for name in order or ():
            bind = names[name]
            fixed = _FROM_CALLER if bind.required or bind.value is None else bind.value
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, _Bind(bind.key, fixed, process)))
        results: tuple[_Process, ...] = ()
        if isinstance(statement, Select):
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in statement.selected_columns
            )
        elif getattr(statement, "_returning", ()):
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in statement._returning  # type: ignore[attr-defined]
            )
        return cls(compiled.string, tuple(binds), dialect.positional, results)

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for one call."""
        values = []
        for _name, bind in self.binds:
            value = given[bind.key] if bind.fixed is _FROM_CALLER else bind.fixed
            values.append(bind.process(value) if bind.process is not None else value)
        if self.positional:
            return tuple(values)
        return {name: value for (name, _bind), value in zip(self.binds, values, strict=True)}

    def run(self, cursor: Any, given: Mapping[str, Any]) -> None:
        with self._converting():
            cursor.execute(self.sql, self.parameters(given))

    def run_many(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        with self._converting():
            cursor.executemany(self.sql, [self.parameters(row) for row in rows])

    def rows(self, cursor: Any, given: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a statement that returns rows, each value converted as SQLAlchemy would."""
        with self._converting():
            cursor.execute(self.sql, self.parameters(given))
        found = cursor.fetchall()
        if not any(self.results):
            return [tuple(row) for row in found]
        return [
            tuple(
                process(value) if process is not None else value
                for process, value in zip(self.results, row, strict=True)
            )
            for row in found
        ]

    @contextmanager
    def _converting(self) -> Iterator[None]:
        """A value the column's type cannot take (state that is not JSON, a timestamp that
        is not a datetime), met by SQLAlchemy's processors or the driver's own before the
        database sees it, said as SQLAlchemy says it."""
        try:
            yield
        except (TypeError, ValueError) as exc:
            raise StatementError(str(exc), self.sql, None, exc) from exc
