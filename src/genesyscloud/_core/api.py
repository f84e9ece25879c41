"""Base classes of the generated API group classes (``api/*.py``).

A generated method validates nothing itself: it passes its descriptor and its
arguments here, and the client does the rest.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Mapping

from .request import build_request

if TYPE_CHECKING:
    from .._client import AsyncGenesysCloud, GenesysCloud
    from .operation import Operation

__all__ = ["SyncAPI", "AsyncAPI"]


def _prepare(op: Operation, args: Mapping[str, Any]) -> Any:
    if op.deprecated:
        warnings.warn(
            f"{op.method_name} ({op.http_method} {op.path}) is deprecated in the Platform API",
            DeprecationWarning,
            stacklevel=4,
        )
    return build_request(op, args)


def _remember(api: Any, op: Operation, args: Mapping[str, Any], result: Any, pager: Any, *, is_async: bool) -> Any:
    """Attach the call to a paged result so that it can fetch the following pages."""
    if op.paging is None or not hasattr(result, "_pager"):
        return result
    from .pagination import Pager

    call_args = {k: v for k, v in args.items() if k != "self"}
    # one Pager per page, never mutated: iteration state lives in the iterator
    result._pager = Pager(api=api if pager is None else pager.api, op=op, args=call_args, is_async=is_async)
    return result


class SyncAPI:
    """One API group (tag) bound to a :class:`GenesysCloud` client."""

    __slots__ = ("_client", "_raw")

    def __init__(self, client: GenesysCloud, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    @property
    def with_raw_response(self) -> Any:
        """The same group whose methods return :class:`APIResponse` (status, headers,
        correlation id, raw body, ``.parse()``) instead of the decoded body."""
        return type(self)(self._client, raw=True)

    def _call(self, op: Operation, args: Mapping[str, Any], _pager: Any = None) -> Any:
        result = self._client._request(op, _prepare(op, args), raw=self._raw)
        return result if op.paging is None else _remember(self, op, args, result, _pager, is_async=False)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class AsyncAPI:
    """One API group (tag) bound to an :class:`AsyncGenesysCloud` client."""

    __slots__ = ("_client", "_raw")

    def __init__(self, client: AsyncGenesysCloud, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    @property
    def with_raw_response(self) -> Any:
        """The same group whose methods return :class:`APIResponse` instead of the body."""
        return type(self)(self._client, raw=True)

    async def _call(self, op: Operation, args: Mapping[str, Any], _pager: Any = None) -> Any:
        result = await self._client._request(op, _prepare(op, args), raw=self._raw)
        return result if op.paging is None else _remember(self, op, args, result, _pager, is_async=True)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
