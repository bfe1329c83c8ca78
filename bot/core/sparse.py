"""A sparse matrix stored by rows, with the few operations the matcher and model need.

The matcher's terms by examples and the model's features by intents are both mostly
empty, and both are read a few rows at a time (a message's terms or features).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

_FEW = 16  # rows read by slices; more, by one gather


@dataclass(frozen=True)
class Rows:
    """A sparse matrix by rows (compressed sparse row), with the few operations needed.

    Under one cell in a hundred holds a weight: dense, terms by examples was 50 MiB at
    the shipped size and grew with examples times words.
    """

    starts: np.ndarray  # row r's cells are starts[r]:starts[r + 1]
    columns: np.ndarray
    values: np.ndarray
    width: int

    @classmethod
    def of(
        cls, rows: ArrayLike, columns: ArrayLike, values: ArrayLike, shape: tuple[int, int]
    ) -> Rows:
        """From (row, column, value) triples; each cell at most once."""
        at, to = np.asarray(rows, dtype=np.intp), np.asarray(columns, dtype=np.intp)
        order = np.lexsort((to, at))
        starts = np.searchsorted(at[order], np.arange(shape[0] + 1))
        narrow = np.int32 if shape[1] < 2**31 else np.intp
        return cls(starts, to[order].astype(narrow), np.asarray(values, float)[order], shape[1])

    def _cells(self, rows: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The columns and values of ``rows``' cells, row after row."""
        starts = self.starts
        if len(rows) <= _FEW:
            # Copying a few contiguous slices beats building an index of every cell.
            spans = [(starts[r], starts[r + 1]) for r in rows]
            return (
                np.concatenate([self.columns[a:b] for a, b in spans]),
                np.concatenate([self.values[a:b] for a, b in spans]),
            )
        index = np.asarray(rows, dtype=np.intp)
        first, lengths = starts[index], starts[index + 1] - starts[index]
        # Every cell of the chosen rows, without a loop: each row's start, repeated once
        # per cell, plus the cell's place in its row.
        before = np.cumsum(lengths) - lengths
        picked = np.repeat(first - before, lengths) + np.arange(int(lengths.sum()))
        return self.columns[picked], self.values[picked]

    def cells_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The columns and values of ``rows``' cells, row after row, and each row's count
        of cells (to repeat per-row facts per cell)."""
        index = np.asarray(rows, dtype=np.intp)
        columns, values = self._cells(index)
        return columns, values, self.starts[index + 1] - self.starts[index]

    def sum(self, rows: list[int]) -> np.ndarray:
        """The sum of a few rows, as a dense vector."""
        if not len(rows):
            return np.zeros(self.width)
        columns, values = self._cells(rows)
        return np.bincount(columns, values, minlength=self.width)

    def union(self, rows: np.ndarray) -> np.ndarray:
        """The columns used by any of ``rows``, ascending."""
        if len(rows) == 1:
            return self.columns[self.starts[rows[0]] : self.starts[rows[0] + 1]]
        used = np.zeros(self.width, dtype=bool)
        used[self._cells(rows)[0]] = True
        return np.flatnonzero(used)

    def combine(self, rows: list[int], weights: np.ndarray) -> np.ndarray:
        """The sum of ``rows``, each multiplied by its weight, as a dense vector."""
        if not len(rows):
            return np.zeros(self.width)
        index = np.asarray(rows, dtype=np.intp)
        lengths = self.starts[index + 1] - self.starts[index]
        columns, values = self._cells(index)
        return np.bincount(columns, values * np.repeat(weights, lengths), minlength=self.width)

    @classmethod
    def dense(cls, matrix: np.ndarray, keep: np.ndarray) -> Rows:
        """The cells of ``matrix`` where ``keep`` is true (both rows by columns)."""
        rows, columns = np.nonzero(keep)  # row by row, columns ascending
        starts = np.searchsorted(rows, np.arange(matrix.shape[0] + 1))
        narrow = np.int32 if matrix.shape[1] < 2**31 else np.intp
        return cls(starts, columns.astype(narrow), matrix[rows, columns], matrix.shape[1])

    def row_sums(self) -> np.ndarray:
        """Each row's values added up, in column order."""
        rows = np.repeat(np.arange(len(self.starts) - 1), np.diff(self.starts))
        return np.bincount(rows, self.values, minlength=len(self.starts) - 1)
