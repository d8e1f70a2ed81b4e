"""Training progress: a rich bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


class Reporter(Protocol):
    def start(self, total: int, done: int) -> None: ...
    def update(self, step: int, cost: float) -> None: ...
    def close(self) -> None: ...


class Silent:
    def start(self, total: int, done: int) -> None:
        pass

    def update(self, step: int, cost: float) -> None:
        pass

    def close(self) -> None:
        pass


class Bar:
    """A rich progress bar on stderr showing the step and the latest cost."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cost {task.fields[cost]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )

    def start(self, total: int, done: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(
            "train", total=total, completed=done, cost=""
        )

    def update(self, step: int, cost: float) -> None:
        self.progress.update(self.task, completed=step, cost=f"{cost:.3e}")

    def close(self) -> None:
        self.progress.stop()


def default_reporter(quiet: bool = False) -> Reporter:
    if quiet or not sys.stderr.isatty():
        return Silent()
    return Bar()
