"""Quantile tables of beta and gamma shapes, built once and cached by shape.

A table is a unit-scale quantile function tabulated on a fixed grid of
probabilities (``distributions._U_GRID``); it costs a grid's worth of exact
inversions (~8,000 ``betaincinv`` calls, several milliseconds). A forecast
has a few hundred such inputs, many with the same shape (the same range read
off the same evidence), and every run rebuilds them. Tables are therefore
kept per process and on disk, keyed by the family, the shape parameters and
the grid (SHA-256 of their float64 bytes), so a shape is tabulated once per
machine.

The disk cache lives in the user cache directory (``platformdirs``) or in
``LEPTOMARKET_CACHE_DIR``; ``LEPTOMARKET_CACHE_DIR=off`` keeps tables in
memory only. Files are written atomically (temporary file, then rename), so
a concurrent or killed writer never leaves a partial table; a damaged file
is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import platformdirs

_MEMORY: dict[str, np.ndarray] = {}


def cache_dir() -> Path | None:
    """Directory of the disk cache, or None when disk caching is off."""
    setting = os.environ.get("LEPTOMARKET_CACHE_DIR", "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    return Path(platformdirs.user_cache_dir("leptomarket")) / "quantiles"


def table_key(family: str, shape: tuple[float, ...], grid: np.ndarray) -> str:
    """Hex digest naming one table: family, shape parameters and grid, as float64 bytes."""
    digest = hashlib.sha256(family.encode())
    digest.update(np.asarray(shape, dtype=np.float64).tobytes())
    digest.update(np.asarray(grid, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _read(path: Path, size: int) -> np.ndarray | None:
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if table.shape != (size,) or table.dtype != np.float64:
        return None
    return table


def _write(directory: Path, path: Path, table: np.ndarray) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as handle:
            np.save(handle, table, allow_pickle=False)
        os.replace(handle.name, path)
    except OSError:
        # A read-only or full cache directory only costs speed, never a result.
        return


def cached_table(
    family: str,
    shape: tuple[float, ...],
    grid: np.ndarray,
    build: Callable[[], np.ndarray],
) -> np.ndarray:
    """The table of ``family`` with ``shape`` on ``grid``: from memory, disk, or ``build()``.

    The returned array is shared and read-only.
    """
    key = table_key(family, shape, grid)
    table = _MEMORY.get(key)
    if table is not None:
        return table
    directory = cache_dir()
    path = directory / f"{key}.npy" if directory else None
    if path is not None and path.exists():
        table = _read(path, len(grid))
    if table is None:
        table = np.asarray(build(), dtype=np.float64)
        if path is not None:
            _write(directory, path, table)
    table.setflags(write=False)
    _MEMORY[key] = table
    return table


def clear_memory() -> None:
    """Forget the tables kept in this process (the disk cache stays)."""
    _MEMORY.clear()
