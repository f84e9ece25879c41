"""The token manager: one valid access token per client, renewed ahead of expiry,
single-flight across threads, asyncio tasks and (with a shared store) processes.

It performs no HTTP itself: the client's driver passes ``fetch``, which sends a
:class:`TokenRequest` to the login service and returns the new :class:`Token`.

How a caller gets its token (:meth:`TokenManager.get_sync` / :meth:`get_async`):

* the token is fresh (more than the refresh window left): use it;
* it is still valid but inside the window: the first caller to notice renews it
  while everyone else goes on using the old one (proactive renewal);
* it is missing, expired or was rejected by the API (401): one caller renews it (the
  leader); the others wait for that renewal and get the leader's token or its error.
  They wait as long as the leader's token request may take (``token_request_budget``,
  at least ``refresh_token_wait_time``); a waiter whose wait still runs out renews for
  itself rather than failing;
* the login service refused or failed (wrong credentials, a revoked refresh token,
  the service down): for ``REFUSAL_MEMORY`` seconds every caller gets that error again
  without a new request, so many callers cannot turn one failure into a request storm.

The leader's renewal (:meth:`TokenManager._renew_flow`) is written once as a generator,
like the send loop, and driven by a sync and an async driver: take the store's lock,
adopt a token another worker stored meanwhile, else run the grant, store the result,
release the lock. A lock that another worker holds past the wait is not waited for any
longer: this worker renews for itself. A failing store never fails a call: it is
reported, skipped for the rest of the renewal and for ``STORE_BACKOFF`` seconds after
(renewals are then local, as with no shared store), and used again afterwards. The async
driver never blocks its event loop on a store: it uses the store's coroutine methods
(``aload``/``asave``/``alock``, as :class:`RedisTokenStore` has with ``redis.asyncio``)
when there are any, else runs the store's calls, the release included, in a thread.
"""

from __future__ import annotations

import collections
import datetime as _dt
import hashlib
import inspect
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Generator

if TYPE_CHECKING:
    import asyncio

from .._core.errors import APIConnectionError, AuthError, GenesysCloudError
from ._grants import Grant
from ._stores import MemoryTokenStore, TokenStore
from ._token import Token, TokenRequest, utcnow

__all__ = ["TokenManager"]

log = logging.getLogger("genesyscloud.auth")

#: the default refresh window: this many seconds, or 10 % of the token's lifetime if smaller
DEFAULT_WINDOW = 300.0
DEFAULT_WINDOW_FRACTION = 0.1
#: seconds a failed token request is answered from memory (no new request)
REFUSAL_MEMORY = 5.0
#: seconds a shared store that failed (down, frozen) is left alone before it is tried again
STORE_BACKOFF = 5.0

_Flow = Generator[tuple[str, Any], Any, tuple[Token, bool]]


class _Flight:
    """One renewal in progress; waiters in any thread or event loop learn its outcome."""

    __slots__ = ("event", "token", "error", "_waiters", "_lock")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.token: Token | None = None
        self.error: BaseException | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._lock = threading.Lock()

    def finish(self, token: Token | None = None, error: BaseException | None = None) -> None:
        with self._lock:
            self.token, self.error = token, error
            self.event.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that event loop is closed; nobody is waiting there
                pass

    def wait_sync(self, timeout: float) -> bool:
        return self.event.wait(max(0.0, timeout))

    async def wait_async(self, timeout: float) -> bool:
        import asyncio  # imported on first async use: `import genesyscloud` stays cheap

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.event.is_set():
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, max(0.0, timeout))
        except asyncio.TimeoutError:
            return self.event.is_set()
        return True


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _copy_error(exc: BaseException) -> GenesysCloudError:
    """The leader's error for a waiter (a fresh instance: each raise has its own traceback)."""
    if isinstance(exc, APIConnectionError):
        return type(exc)(str(exc), method=exc.method, url=exc.url)
    if isinstance(exc, AuthError):
        return AuthError(exc.error, exc.error_description, status=exc.status, correlation_id=exc.correlation_id,
                         headers=exc.headers)
    return AuthError("refresh_failed", f"the token renewal this call waited for failed with {type(exc).__name__}")


def _describe(exc: BaseException) -> str:
    # these messages are built from the login service's error fields or the URL, never a secret
    return str(exc) if isinstance(exc, AuthError | APIConnectionError) else type(exc).__name__


class TokenManager:
    """Holds the current token of one grant and renews it (see the module docstring).

    Args:
        grant: the OAuth grant to run.
        store: where tokens live (default: a private :class:`MemoryTokenStore`); share a
            :class:`FileTokenStore` or :class:`RedisTokenStore` between processes to
            share their tokens and their renewals.
        refresh_window: renew when fewer than this many seconds remain (at most half the
            token's lifetime); ``None``: the smaller of 300 s and 10 % of the lifetime.
        refresh_token_wait_time: the least number of seconds a caller waits for a renewal
            in progress (in this process or, with a shared store, in another) before it
            renews for itself.
        token_request_budget: seconds one token request may take (the client passes its
            timeouts); waits cover it, and a shared store's lock lives about as long.
        should_refresh_access_token: ``False`` turns renewal off: the first token is still
            obtained, then used as it is, and a 401 is raised rather than renewed.
        on_token: called with each new token this manager obtains (to persist it); an
            async client awaits it when it returns an awaitable. Its errors are logged
            (their type only) and never fail a call.
        now: the clock (aware UTC ``datetime``); tests inject one to move time.
        login_host: the login service's base URL (part of the store key).

    Raises:
        TypeError, ValueError: an invalid argument.
    """

    def __init__(
        self,
        grant: Grant,
        *,
        store: TokenStore | None = None,
        refresh_window: float | None = None,
        refresh_token_wait_time: float = 10.0,
        should_refresh_access_token: bool = True,
        on_token: Callable[[Token], Any] | None = None,
        now: Callable[[], _dt.datetime] | None = None,
        login_host: str = "",
        token_request_budget: float | None = None,
    ) -> None:
        if not isinstance(grant, Grant):
            raise TypeError(f"grant must be a Grant such as ClientCredentials(...), got {type(grant).__name__}")
        if store is not None and not isinstance(store, TokenStore):
            raise TypeError("token_store must provide load(key), save(key, token), delete(key) and lock(key, timeout)")
        if refresh_window is not None and (isinstance(refresh_window, bool) or not isinstance(refresh_window, int | float)
                                           or refresh_window < 0):
            raise ValueError("refresh_window must be None or a number of seconds >= 0")
        if (isinstance(refresh_token_wait_time, bool) or not isinstance(refresh_token_wait_time, int | float)
                or refresh_token_wait_time <= 0):
            raise ValueError("refresh_token_wait_time must be a number of seconds > 0")
        if token_request_budget is not None and (isinstance(token_request_budget, bool)
                                                 or not isinstance(token_request_budget, int | float)
                                                 or token_request_budget <= 0):
            raise ValueError("token_request_budget must be None or a number of seconds > 0")
        if on_token is not None and not callable(on_token):
            raise TypeError("on_token must be a callable that takes the new Token")
        if now is not None and not callable(now):
            raise TypeError("now must be a callable returning an aware datetime")
        self.grant = grant
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.refresh_window = None if refresh_window is None else float(refresh_window)
        self.refresh_token_wait_time = float(refresh_token_wait_time)
        self.token_request_budget = None if token_request_budget is None else float(token_request_budget)
        self._store_down_until = 0.0  # monotonic: the shared store failed; leave it alone until then
        self.should_refresh_access_token = bool(should_refresh_access_token)
        self.on_token = on_token
        self.now: Callable[[], _dt.datetime] = now or utcnow
        self.key = "token-" + hashlib.sha256(f"{login_host}\n{grant.cache_key()}".encode()).hexdigest()[:32]
        self._token: Token | None = grant.initial_token()
        self._rejected: collections.deque[str] = collections.deque(maxlen=8)  # access tokens the API refused
        self._flight: _Flight | None = None
        self._retry_at: _dt.datetime | None = None  # proactive renewal failed: not again before this
        self._refusal: tuple[GenesysCloudError, float] | None = None  # the login service's failure, until (monotonic)
        self.refusal_memory = REFUSAL_MEMORY
        self._mutex = threading.Lock()
        self.token_requests = 0  # how many token requests this manager has sent

    # -- state -------------------------------------------------------------------------
    @property
    def wait_budget(self) -> float:
        """Seconds a caller waits for a renewal in progress, and the store lock's timeout:
        ``refresh_token_wait_time``, or the token request's budget when that is longer."""
        return max(self.refresh_token_wait_time, self.token_request_budget or 0.0)

    @property
    def token(self) -> Token | None:
        """The current token (may be expired), or ``None``."""
        return self._token

    def set_token(self, token: Token) -> None:
        """Use ``token`` from now on (and store it), e.g. one the caller obtained itself."""
        if not isinstance(token, Token):
            raise TypeError(f"set_token expects a Token, got {type(token).__name__}")
        with self._mutex:
            self._token = token
            self._retry_at = None
            self._refusal = None
        if self._store_usable():
            try:
                with self.store.lock(self.key, self.wait_budget):
                    self.store.save(self.key, token)
            except Exception as exc:
                self._store_problem("save", exc)

    def window(self, token: Token) -> float:
        """Seconds before expiry at which ``token`` is renewed."""
        lifetime = token.lifetime
        if self.refresh_window is not None:
            return min(self.refresh_window, lifetime / 2) if lifetime else self.refresh_window
        if not lifetime:
            return 0.0
        return min(DEFAULT_WINDOW, DEFAULT_WINDOW_FRACTION * lifetime)

    def _fresh(self, token: Token | None) -> bool:
        """Usable without renewal: not rejected, and more than the window left."""
        if token is None or token.access_token in self._rejected:
            return False
        remaining = token.expires_in(self.now())
        return remaining is None or remaining > self.window(token)

    def _needs_nothing(self, token: Token | None) -> bool:
        """Whether ``token`` can be used as it is: not rejected, and not due for renewal
        (the clock is read only for a token this manager would renew)."""
        if token is None or token.access_token in self._rejected:
            return False
        if not self.should_refresh_access_token or not self.grant.can_renew(token):
            return True
        remaining = token.expires_in(self.now())
        return remaining is None or remaining > self.window(token)

    def _decide(self) -> tuple[Token | None, _Flight | None, bool, str]:
        """``(token, None, False, "")`` to use ``token``, else ``(None, flight, leader, reason)``."""
        token = self._token  # every call's question: a token that needs nothing, read without the lock
        if self._needs_nothing(token):
            return token, None, False, ""
        with self._mutex:
            token = self._token
            if self._needs_nothing(token):
                return token, None, False, ""
            if token is not None and token.access_token not in self._rejected:
                now = self.now()
                remaining = token.expires_in(now)
                assert remaining is not None  # (a token without an expiry needs nothing)
                if remaining > 0:  # still valid: one caller renews it, the others keep using it
                    if self._flight is not None or (self._retry_at is not None and now < self._retry_at):
                        return token, None, False, ""
                    self._flight = _Flight()
                    return None, self._flight, True, f"proactive: expires in {remaining:.0f} s"
                reason = "expired"
            else:
                reason = "no token yet" if token is None else "rejected by the API (401)"
            if self._flight is None and self._refusal is not None:
                error, until = self._refusal
                if time.monotonic() < until:
                    raise _copy_error(error)
                self._refusal = None
            if self._flight is None:
                self._flight = _Flight()
                return None, self._flight, True, reason
            return None, self._flight, False, reason

    def invalidate(self, token: Token) -> bool:
        """Mark ``token`` as rejected by the API (401).

        Returns whether a renewal is possible; the send loop then replays the call once.
        """
        if not self.should_refresh_access_token:
            return False
        with self._mutex:
            current = self._token
            if not self.grant.can_renew(current if current is not None else token):
                return False
            if token.access_token not in self._rejected:
                self._rejected.append(token.access_token)
        log.debug("the API rejected the access token (401); it will be renewed once")
        return True

    # -- the renewal, written once -------------------------------------------------------
    def _store_usable(self) -> bool:
        return time.monotonic() >= self._store_down_until

    def _load(self) -> Generator[tuple[str, Any], Any, Token | None]:
        if not self._store_usable():
            return None
        try:
            return (yield ("load", None))
        except Exception as exc:
            self._store_problem("load", exc)
            return None

    def _renew_flow(self, reason: str, *, use_lock: bool = True) -> _Flow:
        """The leader's renewal (or a late waiter's, without the lock): returns ``(token, fetched)``."""
        lock = None
        try:
            if use_lock and self._store_usable():
                try:
                    lock = yield ("lock", None)
                except TimeoutError:
                    stored = yield from self._load()
                    if self._fresh(stored):
                        return stored, False  # type: ignore[return-value]
                    # the worker holding the lock has had its whole budget: renew for ourselves
                    log.warning("another worker sharing %r has held the token lock for more than %g s; renewing "
                                "without it", self.store, self.wait_budget)
                except Exception as exc:
                    self._store_problem("lock", exc)
            stored = yield from self._load()
            if self._fresh(stored):
                log.debug("using the access token another worker renewed (%r)", stored)
                return stored, False  # type: ignore[return-value]
            base = stored if stored is not None and stored.refresh_token else self._token
            request = self.grant.token_request(base)
            if request is None:
                raise AuthError("invalid_grant", f"{type(self.grant).__name__} cannot obtain a token: "
                                "an authorization code is single use, and there is no refresh token to renew with")
            log.debug("requesting an access token (%s grant; %s)", request.grant_type, reason)
            self.token_requests += 1
            token = self._received((yield ("fetch", request)), base, request)
            log.debug("obtained a new access token (%r)", token)
            if self._store_usable():
                try:
                    yield ("save", token)
                except Exception as exc:
                    self._store_problem("save", exc)
            return token, True
        finally:
            if lock is not None:
                try:
                    yield ("unlock", lock)
                except Exception as exc:
                    self._store_problem("unlock", exc)

    def _received(self, token: Token, base: Token | None, request: TokenRequest) -> Token:
        if self.now is not utcnow:  # the grant dated the token by the wall clock: move it to ours
            offset = self.now() - utcnow()
            if token.expires_at is not None:
                token.expires_at += offset
            if token.issued_at is not None:
                token.issued_at += offset
        # RFC 6749 section 6: a refresh response without a new refresh token keeps the old one
        if token.refresh_token is None and request.grant_type == "refresh_token" and base is not None:
            token.refresh_token = base.refresh_token
        return token

    def _store_problem(self, what: str, exc: Exception) -> None:
        self._store_down_until = time.monotonic() + STORE_BACKOFF
        log.warning("token store %r failed to %s (%s); carrying on without it for %g s", self.store, what,
                    type(exc).__name__, STORE_BACKOFF)

    # -- leading and waiting -------------------------------------------------------------
    def _settle(self, flight: _Flight, reason: str, current: Token | None, outcome: Any) -> Token:
        """End the leader's flight with ``outcome`` (a ``(token, fetched)`` pair or an
        exception); returns the token to use or raises."""
        if isinstance(outcome, BaseException):
            fallback = None
            if reason.startswith("proactive") and isinstance(outcome, Exception) and current is not None:
                remaining = current.expires_in(self.now()) or 0.0
                if remaining > 0:
                    fallback = current
                    log.warning("renewing the access token ahead of expiry failed (%s); the current one stays in "
                                "use for up to %.0f s more", _describe(outcome), remaining)
            with self._mutex:
                self._flight = None
                if fallback is not None:
                    self._retry_at = self.now() + _dt.timedelta(seconds=min(30.0, remaining / 4))
                elif (isinstance(outcome, AuthError) and outcome.status) or isinstance(outcome, APIConnectionError):
                    self._refusal = (outcome, time.monotonic() + self.refusal_memory)
            if fallback is not None:
                flight.finish(token=fallback)
                return fallback
            flight.finish(error=outcome)
            raise outcome
        token, _ = outcome
        with self._mutex:
            self._token = token
            self._retry_at = None
            self._refusal = None
            self._flight = None
        flight.finish(token=token)
        return token

    def _outcome(self, flight: _Flight) -> Token | None:
        """A waiter's result: the token, ``None`` to try again (the leader gave up), or raise."""
        if flight.token is not None:
            return flight.token
        if isinstance(flight.error, Exception):
            raise _copy_error(flight.error)
        return None  # the leader was cancelled or interrupted: take over

    def _adopt(self, token: Token) -> Token:
        """A waiter that renewed for itself keeps its token (the leader's replaces it later)."""
        with self._mutex:
            self._token = token
            self._refusal = None
        return token

    def _notify_sync(self, token: Token) -> None:
        if self.on_token is None:
            return
        try:
            result = self.on_token(token)
            if inspect.isawaitable(result):
                getattr(result, "close", lambda: None)()
                log.warning("on_token returned an awaitable; a sync client does not await it")
        except Exception as exc:
            log.warning("on_token raised %s; the new token is in use all the same", type(exc).__name__)

    async def _notify_async(self, token: Token) -> None:
        if self.on_token is None:
            return
        try:
            result = self.on_token(token)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log.warning("on_token raised %s; the new token is in use all the same", type(exc).__name__)

    # -- sync ----------------------------------------------------------------------------
    def get_sync(self, fetch: Callable[[TokenRequest], Token]) -> Token:
        """Return a usable token, renewing it when needed (see the module docstring).

        Raises:
            AuthError: the login service refused, or the grant cannot renew.
            APIConnectionError: the login service could not be reached.
        """
        deadline: float | None = None
        while True:
            token, flight, leader, reason = self._decide()
            if token is not None:
                return token
            assert flight is not None
            if leader:
                return self._lead_sync(flight, reason, fetch)
            if deadline is None:
                deadline = time.monotonic() + self.wait_budget
            if not flight.wait_sync(deadline - time.monotonic()):
                log.warning("the token renewal in progress has not finished within %g s; renewing for this call",
                            self.wait_budget)
                late = self._renew_flow(reason + "; the renewal waited for is late", use_lock=False)
                token, fetched = self._drive_sync(late, fetch)
                if fetched:
                    self._notify_sync(token)
                return self._adopt(token)
            token = self._outcome(flight)
            if token is not None:
                return token

    def _lead_sync(self, flight: _Flight, reason: str, fetch: Callable[[TokenRequest], Token]) -> Token:
        current = self._token
        try:
            outcome: Any = self._drive_sync(self._renew_flow(reason), fetch)
        except BaseException as exc:
            outcome = exc
        token = self._settle(flight, reason, current, outcome)
        if not isinstance(outcome, BaseException) and outcome[1]:
            self._notify_sync(token)
        return token

    def _drive_sync(self, flow: _Flow, fetch: Callable[[TokenRequest], Token]) -> tuple[Token, bool]:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op, arg = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                if op == "fetch":
                    value = fetch(arg)
                elif op == "lock":
                    value = self.store.lock(self.key, self.wait_budget)
                    value.__enter__()
                elif op == "unlock":
                    arg.__exit__(None, None, None)
                elif op == "load":
                    value = self.store.load(self.key)
                else:  # save
                    self.store.save(self.key, arg)
            except BaseException as exc:
                error = exc

    # -- async ---------------------------------------------------------------------------
    async def get_async(self, fetch: Callable[[TokenRequest], Awaitable[Token]]) -> Token:
        """Async counterpart of :meth:`get_sync`; shares its single flight with threads
        and other event loops."""
        deadline: float | None = None
        while True:
            token, flight, leader, reason = self._decide()
            if token is not None:
                return token
            assert flight is not None
            if leader:
                return await self._lead_async(flight, reason, fetch)
            if deadline is None:
                deadline = time.monotonic() + self.wait_budget
            if not await flight.wait_async(deadline - time.monotonic()):
                log.warning("the token renewal in progress has not finished within %g s; renewing for this call",
                            self.wait_budget)
                token, fetched = await self._drive_async(
                    self._renew_flow(reason + "; the renewal waited for is late", use_lock=False), fetch)
                if fetched:
                    await self._notify_async(token)
                return self._adopt(token)
            token = self._outcome(flight)
            if token is not None:
                return token

    async def _lead_async(self, flight: _Flight, reason: str,
                          fetch: Callable[[TokenRequest], Awaitable[Token]]) -> Token:
        current = self._token
        try:
            outcome: Any = await self._drive_async(self._renew_flow(reason), fetch)
        except BaseException as exc:
            outcome = exc
        token = self._settle(flight, reason, current, outcome)
        if not isinstance(outcome, BaseException) and outcome[1]:
            await self._notify_async(token)
        return token

    async def _drive_async(self, flow: _Flow, fetch: Callable[[TokenRequest], Awaitable[Token]]) -> tuple[Token, bool]:
        import asyncio  # imported on first async use: `import genesyscloud` stays cheap

        # the store's coroutines when it has them (redis.asyncio), else its blocking calls in a
        # thread: the event loop never waits on a store
        loop = asyncio.get_running_loop()
        native = all(callable(getattr(self.store, name, None)) for name in ("aload", "asave", "alock"))
        store: Any = self.store
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                op, arg = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                if op == "fetch":
                    value = await fetch(arg)
                elif op == "lock":
                    value = await (self._alock_native() if native else self._lock_async(loop))
                elif op == "unlock":
                    # must happen even when this task is cancelled: shielded
                    if native:
                        await asyncio.shield(loop.create_task(arg.__aexit__(None, None, None)))
                    else:
                        await asyncio.shield(loop.run_in_executor(None, arg.__exit__, None, None, None))
                elif op == "load":
                    value = await (store.aload(self.key) if native
                                   else loop.run_in_executor(None, self.store.load, self.key))
                else:  # save
                    await (store.asave(self.key, arg) if native
                           else loop.run_in_executor(None, self.store.save, self.key, arg))
            except BaseException as exc:
                error = exc

    async def _alock_native(self) -> Any:
        import asyncio

        lock = self.store.alock(self.key, self.wait_budget)  # type: ignore[attr-defined]
        task = asyncio.get_running_loop().create_task(lock.__aenter__())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # cancelled while waiting for the lock: release it once taken
            def release(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    asyncio.ensure_future(lock.__aexit__(None, None, None))

            task.add_done_callback(release)
            raise
        return lock

    async def _lock_async(self, loop: asyncio.AbstractEventLoop) -> Any:
        import asyncio  # imported on first async use: `import genesyscloud` stays cheap

        def enter() -> Any:
            lock = self.store.lock(self.key, self.wait_budget)
            lock.__enter__()
            return lock

        future = loop.run_in_executor(None, enter)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # cancelled while the executor waits for the lock: release it once taken
            def release(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    loop.run_in_executor(None, done.result().__exit__, None, None, None)

            future.add_done_callback(release)
            raise

    def __repr__(self) -> str:
        return f"TokenManager(grant={self.grant!r}, store={self.store!r}, token={self._token!r})"
