"""Progress bars of the command-line faces (on stderr, only on a terminal).

Kept apart from the command modules so that each command imports it without
importing another command (which, run as ``python -m leptomarket.cli.main``,
would import the app twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from leptomarket.cli.common import err_console
from leptomarket.engine.run import Progress as ProgressCallback


@contextmanager
def draw_progress(n_draws: int, label: str) -> Iterator[ProgressCallback | None]:
    """A Rich progress bar over draws (nothing for point runs)."""
    if n_draws == 0:
        yield None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} draws"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(label, total=n_draws)
        yield lambda n: progress.advance(task, n)
