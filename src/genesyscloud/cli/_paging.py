"""``--autopaginate`` (every page written as it arrives, Rich progress bar on stderr)
and ``--stream`` (one JSON line per page), over the SDK's ``result.iter_pages()``."""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterator

from ._output import page_items, to_plain

__all__ = ["iter_pages", "collect", "items_of_page", "write_pages"]


def iter_pages(result: Any, max_pages: int | None) -> Iterator[Any]:
    """The pages of a result: ``result.iter_pages(max_pages=...)`` for a paged result,
    else the result alone."""
    pages = getattr(result, "iter_pages", None)
    if callable(pages):
        yield from pages(max_pages=max_pages)
    else:
        yield result


def items_of_page(page: Any) -> list[Any]:
    """Items of one page as plain data (``[page]`` for a result that is not a listing)."""
    try:
        from .._core.pagination import items_of

        return [to_plain(i) for i in items_of(page)]
    except (TypeError, AttributeError, ImportError):
        plain = to_plain(page)
        items = page_items(plain)
        if items is not None:
            return items
        return plain if isinstance(plain, list) else [plain]


def _total_of(page: Any) -> int | None:
    try:
        total = page["total"]
    except (KeyError, TypeError, AttributeError):
        return None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None


def collect(result: Any, *, label: str, max_pages: int | None = None, max_items: int | None = None,
            progress: bool = True, on_page: Callable[[Any, list[Any]], None] | None = None) -> tuple[list[Any], int]:
    """Follow every page of ``result``; returns ``(items, pages)``.

    Shows a Rich progress bar on stderr (items and pages so far, items per second, and a
    bar once the listing states its ``total``). ``on_page(page, items)`` is called for each
    page as it arrives (``--stream``); then the items are not kept.
    """
    items: list[Any] = []
    pages = 0
    count = 0
    bar = _progress() if progress else None
    task = None
    try:
        if bar is not None:
            bar.start()
            task = bar.add_task(label, total=None, pages=0)
        for page in iter_pages(result, max_pages):
            page_list = items_of_page(page)
            if max_items is not None:
                page_list = page_list[: max(0, max_items - count)]
            pages += 1
            count += len(page_list)
            if on_page is not None:
                on_page(page, page_list)
            else:
                items.extend(page_list)
            if bar is not None and task is not None:
                total = _total_of(page)
                if total is not None and max_items is not None:
                    total = min(total, max_items)
                bar.update(task, completed=count, pages=pages, total=total if total is not None else None)
            if max_items is not None and count >= max_items:
                break
        if bar is not None and task is not None:
            bar.update(task, total=count, completed=count, pages=pages)
    finally:
        if bar is not None:
            bar.stop()
    return items, pages


def write_pages(result: Any, writer: Any, *, label: str, max_pages: int | None = None,
                max_items: int | None = None, progress: bool = True) -> int:
    """Follow every page of ``result`` and hand each page's items to ``writer`` (a
    :class:`~._output.PageWriter`) as it arrives; returns the number of pages.

    The output is finished (a JSON array closed) also when the walk is interrupted
    (Ctrl-C) or fails, so what was written is kept; the interruption is then re-raised.
    """
    try:
        try:
            _, pages = collect(result, label=label, max_pages=max_pages, max_items=max_items, progress=progress,
                               on_page=lambda page, items: writer.write(items))
        except BaseException:
            try:
                writer.close()
            except OSError:  # e.g. the reader of a pipe went away: the original error is raised
                pass
            raise
        writer.close()
    except BrokenPipeError as exc:
        # `| head`: the reader has what it wanted. Not an OSError any more, so that Click
        # does not turn it into exit status 1 on its way out.
        raise OutputClosed() from exc
    return pages


class OutputClosed(Exception):
    """The reader of standard output went away (``genesys-cloud ... | head``)."""


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

    class _Rate(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} items/s" if speed else "- items/s", style="cyan")

    console = Console(file=sys.stderr)
    return Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=30),
        TaskProgressColumn(),
        TextColumn("{task.completed:,} items"),
        TextColumn("{task.fields[pages]} pages"),
        _Rate(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        refresh_per_second=8,
    )
