"""Following every paging style of the Platform API, sync and async.

The generator records each operation's style in ``Operation.paging``
(GENESYS-FACTS.md section 5):

``page_number``    ``pageNumber`` query + ``pageCount`` in the listing (EntityListing)
``next_uri``       follow ``nextUri`` (its ``after``/``cursor``/``nextPage`` token) verbatim
``cursor``         ``cursor`` in the body, sent back as the ``cursor`` query parameter
``cursors_after``  ``cursors.after`` in the body, sent back as ``after`` (or ``cursor``)
``search``         search responses: ``nextPage`` is a ready path, else ``pageNumber`` + 1
``body``           POST queries paging through ``paging.pageNumber`` / ``pageNumber`` in the body

A result of a paged operation remembers the call that produced it; its
``iter_pages()`` / ``auto_paging_iter()`` issue exactly one request per further page.
Each iteration keeps its own state, so iterating the same result twice gives the same
items twice. Iteration stops on the last page, on an empty page without a next link
(an empty page that carries a ``nextUri``, cursor or ``nextPage`` link is followed),
and before it would send a request identical to one it already sent in this iteration
(a server that ignores ``pageNumber`` or hands back a token twice): a
:class:`PaginationWarning` is issued instead of looping.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .operation import Operation

__all__ = ["PaginationWarning", "Pager", "items_of", "next_step"]

#: list fields that carry a page's items, in order of preference
ITEM_FIELDS = ("entities", "results", "conversations", "userDetails", "items", "data")


class PaginationWarning(UserWarning):
    """Paging stopped early: the next request would repeat one already sent in this
    iteration (the server ignored ``pageNumber`` or returned a token twice), or the
    server's next link is not an API path."""


def items_of(page: Any) -> list[Any]:
    """The items of one page model (``entities``, ``results``, ``conversations``, ...).

    Returns ``[]`` for a page without items. Raises ``TypeError`` for a non-listing.
    """
    fields = {wire: name for name, wire, spec in type(page).__fields__ if spec.startswith("list[")}
    for wire in ITEM_FIELDS:
        if wire in fields:
            return getattr(page, fields[wire]) or []
    if len(fields) == 1:
        return getattr(page, next(iter(fields.values()))) or []
    raise TypeError(f"{type(page).__name__} is not a listing: no item list among {sorted(fields)}")


@dataclass
class Pager:
    """The call that produced a page: enough to ask for the next one.

    One per page (never shared or mutated), so that iteration state lives in the
    iterator: iterating a result twice sends the same requests twice.
    """

    api: Any  # SyncAPI or AsyncAPI (bound to a client)
    op: Operation
    args: dict[str, Any]
    is_async: bool = False
    step: Step | None = None  # the ready-made path this page was fetched from, if any


@dataclass
class Step:
    """How to fetch the next page: new arguments for the same operation, or a ready path."""

    args: dict[str, Any] | None = None
    path: str | None = None
    query: list[tuple[str, str]] | None = None


def _get(page: Any, wire: str) -> Any:
    try:
        return page[wire]
    except KeyError:
        return None


def request_key(pager: Pager, step: Step | None = None) -> tuple[Any, ...]:
    """What identifies the request of ``step`` (or of the page ``pager`` produced):
    method, path, query pairs and JSON body, as they would go on the wire."""
    step = step if step is not None else pager.step
    if step is not None and step.args is None:
        return ("GET", step.path, tuple(step.query or ()), None)
    from .request import build_request

    req = build_request(pager.op, step.args if step is not None and step.args is not None else pager.args)
    body = json.dumps(req.json, sort_keys=True, default=str) if req.has_body else None
    return (req.method, req.path, tuple(req.query), body)


def _describe(key: tuple[Any, ...]) -> str:
    from urllib.parse import urlencode

    query = urlencode(list(key[2]))
    text = f"{key[0]} {key[1]}" + (f"?{query}" if query else "")
    return text[:160]


def _query_param(op: Operation, *wires: str) -> str | None:
    for p in op.params:
        if p.location == "query" and p.wire_name in wires:
            return p.name
    return None


def next_step(pager: Pager, page: Any) -> Step | None:
    """Decide the request for the page after ``page``, or ``None`` on the last page."""
    op, style = pager.op, pager.op.paging
    empty = not items_of(page)  # an empty page ends the listing unless it carries a next link
    if style in ("page_number", "search"):
        next_page = _get(page, "nextPage") if style == "search" else None
        if isinstance(next_page, str) and next_page.startswith("/"):
            return _path_step(next_page)
        if empty:
            return None
        number = _get(page, "pageNumber") or pager.args.get(_query_param(op, "pageNumber") or "") or 1
        count = _get(page, "pageCount")
        if count is None:
            total, size = _get(page, "total"), _get(page, "pageSize")
            count = -(-total // size) if isinstance(total, int) and isinstance(size, int) and size > 0 else None
        if count is None or number >= count:
            return None
        name = _query_param(op, "pageNumber")
        if name is None:
            return None
        return Step(args={**pager.args, name: number + 1})
    if style == "next_uri":
        uri = _get(page, "nextUri")
        if not uri:
            return None
        if not isinstance(uri, str) or not urlsplit(uri).path.startswith("/api/"):
            warnings.warn(f"{op.method_name}: ignoring a nextUri that is not an API path: {str(uri)[:80]!r}",
                          PaginationWarning, stacklevel=4)
            return None
        return _path_step(uri)
    if style in ("cursor", "cursors_after"):
        if style == "cursor":
            token = _get(page, "cursor")
        else:
            cursors = _get(page, "cursors")
            token = cursors["after"] if cursors is not None and _has(cursors, "after") else None
        if not token:
            return None
        name = _query_param(op, "after", "cursor") if style == "cursors_after" else _query_param(op, "cursor")
        if name is None:
            return None
        return Step(args={**pager.args, name: token})
    if style == "body":
        return None if empty else _body_step(pager, page)
    return None


def _has(obj: Any, key: str) -> bool:
    try:
        obj[key]
        return True
    except KeyError:
        return False


def _path_step(uri: str) -> Step:
    parts = urlsplit(uri)
    return Step(path=parts.path, query=parse_qsl(parts.query, keep_blank_values=True))


def _body_step(pager: Pager, page: Any) -> Step | None:
    from .models import Model, encode_value

    body = pager.args.get("body")
    data = copy.deepcopy(encode_value(body) if isinstance(body, Model) else body) if body is not None else {}
    if not isinstance(data, dict):
        return None
    holder = data.get("paging") if isinstance(data.get("paging"), dict) else data
    number = holder.get("pageNumber") or 1
    size = holder.get("pageSize")
    count = _get(page, "pageCount")
    total = next((t for t in (_get(page, "total"), _get(page, "totalHits")) if isinstance(t, int)), None)
    if isinstance(count, int) and number >= count:
        return None
    if count is None and (total is None or not size or number * size >= total):
        return None
    if "paging" in data or holder is not data:
        data["paging"] = {**holder, "pageNumber": number + 1}
    else:
        data["pageNumber"] = number + 1
    return Step(args={**pager.args, "body": data})


# --------------------------------------------------------------------------- iterators


def _attach(page: Any, pager: Pager, step: Step) -> Any:
    if page is not None and hasattr(page, "_pager"):
        object.__setattr__(page, "_pager", Pager(api=pager.api, op=pager.op, args=pager.args,
                                                  is_async=pager.is_async, step=step))
    return page


def _path_request(pager: Pager, step: Step) -> Any:
    """The GET of a ready-made next-page path (``nextUri``, search ``nextPage``)."""
    from .request import PreparedRequest

    return PreparedRequest("GET", step.path or "", list(step.query or []), operation=pager.op)


def _fetch_sync(pager: Pager, step: Step) -> Any:
    if step.args is not None:
        return pager.api._call(pager.op, step.args, _pager=pager)
    return _attach(pager.api._client._request(pager.op, _path_request(pager, step)), pager, step)


async def _fetch_async(pager: Pager, step: Step) -> Any:
    if step.args is not None:
        return await pager.api._call(pager.op, step.args, _pager=pager)
    return _attach(await pager.api._client._request(pager.op, _path_request(pager, step)), pager, step)


def _checked(pager: Pager, step: Step | None, sent: set[tuple[Any, ...]]) -> Step | None:
    """``step``, unless its request is identical to one this iteration already sent."""
    if step is None:
        return None
    key = request_key(pager, step)
    if key in sent:
        warnings.warn(
            f"{pager.op.method_name}: the next page would repeat a request already sent ({_describe(key)}): "
            "the server ignored the paging parameters or returned a paging token twice; stopping instead "
            "of looping",
            PaginationWarning,
            stacklevel=4,
        )
        return None
    sent.add(key)
    return step


class PageIterator:
    """Iterates pages (sync ``for`` with a sync client, ``async for`` with an async one)."""

    def __init__(self, first: Any, *, max_pages: int | None = None) -> None:
        pager = getattr(first, "_pager", None)
        if pager is None:
            raise TypeError(f"this {type(first).__name__} did not come from a paged operation call")
        if max_pages is not None and max_pages < 1:
            raise ValueError("max_pages must be >= 1")
        self._first = first
        self._pager: Pager = pager
        self._max_pages = max_pages

    def __iter__(self) -> Iterator[Any]:
        if self._pager.is_async:
            raise TypeError("this page came from AsyncGenesysCloud: use `async for`")
        page, count, sent = self._first, 0, {request_key(self._pager)}
        while page is not None:
            yield page
            count += 1
            if self._max_pages is not None and count >= self._max_pages:
                return
            pager = page._pager
            step = _checked(pager, next_step(pager, page), sent)
            page = _fetch_sync(pager, step) if step is not None else None

    async def __aiter__(self) -> AsyncIterator[Any]:
        if not self._pager.is_async:
            raise TypeError("this page came from GenesysCloud: use a plain `for`")
        page, count, sent = self._first, 0, {request_key(self._pager)}
        while page is not None:
            yield page
            count += 1
            if self._max_pages is not None and count >= self._max_pages:
                return
            pager = page._pager
            step = _checked(pager, next_step(pager, page), sent)
            page = await _fetch_async(pager, step) if step is not None else None


class ItemIterator:
    """Iterates items across pages, lazily (one request per page, when it is reached)."""

    def __init__(self, first: Any, *, max_items: int | None = None, max_pages: int | None = None) -> None:
        if max_items is not None and max_items < 0:
            raise ValueError("max_items must be >= 0")
        self._pages = PageIterator(first, max_pages=max_pages)
        self._max_items = max_items

    def __iter__(self) -> Iterator[Any]:
        if self._max_items == 0:
            return
        n = 0
        for page in self._pages:
            for item in items_of(page):
                yield item
                n += 1
                if self._max_items is not None and n >= self._max_items:
                    return

    async def __aiter__(self) -> AsyncIterator[Any]:
        if self._max_items == 0:
            return
        n = 0
        async for page in self._pages:
            for item in items_of(page):
                yield item
                n += 1
                if self._max_items is not None and n >= self._max_items:
                    return


class PagedModel:
    """Mixin of listing models returned by paged operations."""

    __slots__ = ()

    def iter_pages(self, *, max_pages: int | None = None) -> PageIterator:
        """Iterate this page and the following ones (one request per further page).

        Use ``for`` with :class:`GenesysCloud` results and ``async for`` with
        :class:`AsyncGenesysCloud` results.

        Raises:
            TypeError: the model was not returned by a paged operation call.
        """
        return PageIterator(self, max_pages=max_pages)

    def auto_paging_iter(self, *, max_items: int | None = None, max_pages: int | None = None) -> ItemIterator:
        """Iterate the items of this page and every following page, lazily.

        Args:
            max_items: stop after this many items.
            max_pages: stop after this many pages (this one included).
        """
        return ItemIterator(self, max_items=max_items, max_pages=max_pages)
