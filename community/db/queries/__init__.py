"""The SQL of each area, one module an area; `Row` is what their typed rows are built from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from community.db.pool import Record


class Row:
    """The base of the frozen row dataclasses: built from a record by column name.

    `_TUPLES` names the array columns a row holds as tuples (frozen, hashable), not lists.
    """

    __slots__ = ()
    _TUPLES: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:
        def __init__(self, **columns: Any) -> None: ...

    @classmethod
    def from_record(cls, record: Record | Mapping[str, Any]) -> Self:
        columns = dict(record)
        return cls(**{**columns, **{name: tuple(columns[name]) for name in cls._TUPLES}})

    @classmethod
    def from_records(cls, records: Iterable[Record | Mapping[str, Any]]) -> list[Self]:
        return [cls.from_record(r) for r in records]
