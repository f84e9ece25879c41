"""Operation descriptors: what the generator knows about each API operation.

One :class:`Operation` per operation of the API definition is created by the
generated ``api/*.py`` modules; the request builder, the command line tool and the
compatibility layer read them. ``genesyscloud.operations()`` lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParamLocation = Literal["path", "query", "header", "body"]


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of an operation.

    Attributes:
        name: the Python (snake_case) argument name, e.g. ``page_size``.
        wire_name: the name on the wire, e.g. ``pageSize``.
        location: ``path``, ``query``, ``header`` or ``body``.
        type: a type spec (``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime``,
            ``list[str]``, a definition name, ``list[Name]``, ``any``).
        required: whether the definition marks it required.
        description: the definition's text.
        default: the server-side default the definition documents (never sent by us).
        enum: allowed values where the definition lists them.
    """

    name: str
    wire_name: str
    location: ParamLocation
    type: str
    required: bool = False
    description: str = ""
    default: object = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    """One API operation.

    Attributes:
        operation_id: the definition's ``operationId`` (``getOauthClients``).
        method_name: the Python method name (``get_oauth_clients``).
        http_method: upper-case HTTP method.
        path: the path template (``/api/v2/oauth/clients/{clientId}``).
        tags: API groups (tags) it belongs to, as in the definition.
        params: parameters in definition order.
        response: type spec of the success response (``None`` when there is no body).
        summary: one-line summary.
        deprecated: whether the definition marks it deprecated.
        consumes: request content types.
        produces: response content types.
        secured: whether the operation needs an access token.
        paging: the paging style name decided by the generator, or ``None``.
    """

    operation_id: str
    method_name: str
    http_method: str
    path: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    response: str | None
    summary: str = ""
    deprecated: bool = False
    consumes: tuple[str, ...] = ("application/json",)
    produces: tuple[str, ...] = ("application/json",)
    secured: bool = True
    paging: str | None = None
    _by_name: dict[str, Param] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({p.name: p for p in self.params})

    def param(self, name: str) -> Param:
        """Return the parameter with this Python name (``KeyError`` if none)."""
        return self._by_name[name]

    @property
    def idempotent(self) -> bool:
        """Whether HTTP semantics allow replaying the request (RFC 9110 section 9.2.2)."""
        return self.http_method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
