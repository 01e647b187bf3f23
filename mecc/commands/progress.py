"""Progress bars on stderr for long commands (rich), and nothing when nobody watches.

Tools report ``progress(stage, done, total)`` (``mecc.run.run_country``: inputs,
engine blocks, futures, tables, map; ``run_batch`` adds runs). :class:`StageBars`
turns that into one bar per stage on stderr — only when stderr is a terminal and
``--quiet`` is not given, so logs, pipes and CI stay clean and stdout carries only the
command's result.
"""

from __future__ import annotations

import sys

STAGE_LABELS = {
    "runs": "Run files",
    "inputs": "Reading and checking inputs",
    "engine": "Overlaying hazards on people (blocks)",
    "futures": "Futures",
    "tables": "Writing tables and grids",
    "map": "Writing the map",
    "demo inputs": "Generating the demo country",
}


def bars_wanted(quiet: bool, stream=None) -> bool:
    """True when progress bars should be drawn: not quiet and stderr is a terminal."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


class StageBars:
    """A ``progress(stage, done, total)`` callback drawing one bar per stage.

    Use as a context manager; disabled (a no-op) when ``enabled`` is false. A new
    ``runs`` step (the next file of a batch) clears the previous run's stage bars.
    """

    def __init__(self, enabled: bool, console=None):
        self.enabled = enabled
        self._console = console
        self._progress = None
        self._tasks: dict[str, int] = {}
        self._runs_done = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            console = self._console or Console(stderr=True)
            self._progress = Progress(
                TextColumn("{task.description:<38}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        """Stop drawing (the bars stay on screen); later updates are ignored."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._progress is None:
            return
        if stage == "runs" and done != self._runs_done:
            self._runs_done = done
            for name in [s for s in self._tasks if s != "runs"]:
                self._progress.remove_task(self._tasks.pop(name))
        if stage not in self._tasks:
            label = STAGE_LABELS.get(stage, stage)
            self._tasks[stage] = self._progress.add_task(label, total=max(total, 1))
        self._progress.update(self._tasks[stage], completed=done, total=max(total, 1))
