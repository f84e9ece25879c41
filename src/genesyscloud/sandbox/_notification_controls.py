"""``Sandbox`` helpers for the Notifications control API (``/__sandbox__/notifications/...``)."""

from __future__ import annotations

from typing import Any

_UNSET: Any = object()


class NotificationControls:
    """Mixed into :class:`~genesyscloud.sandbox.Sandbox`; each method is one control API call."""

    def _control(self, method: str, path: str, json: Any = None) -> Any:  # provided by Sandbox
        raise NotImplementedError

    def publish(self, topic: str, body: Any = _UNSET, *, count: int = 1, rate: float | None = None,
                sequence_field: str | None = None) -> dict[str, Any]:
        """Send ``count`` events of the concrete ``topic`` to every subscribed socket
        (``POST /__sandbox__/notifications/publish``). Without ``body``, a schema-valid sample
        of the topic's definition is sent. ``sequence_field``: set this field of an object body
        to 0, 1, 2, ...; ``rate``: publish in the background at this many events per second
        (see ``notification_info()["streamsRunning"]``). Returns ``{topic, count, deliveries, body}``."""
        payload: dict[str, Any] = {"topic": topic, "count": count}
        if rate is not None:
            payload["rate"] = rate
        if sequence_field is not None:
            payload["sequenceField"] = sequence_field
        if body is not _UNSET:
            payload["body"] = body
        return self._control("POST", "notifications/publish", payload)

    def socket_closing(self, grace: float = 60.0) -> dict[str, Any]:
        """Send ``v2.system.socket_closing`` to every socket, then close them all ``grace``
        seconds later (``POST /__sandbox__/notifications/socket-closing``)."""
        return self._control("POST", "notifications/socket-closing", {"grace": grace})

    def drop_sockets(self, *, silent: bool = False) -> dict[str, Any]:
        """Kill every socket abruptly (no close frame), or with ``silent=True`` keep the
        connections open but send nothing more on them (``POST /__sandbox__/notifications/drop``)."""
        return self._control("POST", "notifications/drop", {"silent": silent})

    def notification_info(self) -> dict[str, Any]:
        """Heartbeat interval, events published, background streams and every channel with its
        topic and socket counts (``GET /__sandbox__/notifications/info``)."""
        return self._control("GET", "notifications/info")

    def notification_settings(self, *, heartbeat_interval: float | None = None) -> dict[str, Any]:
        """Change the heartbeat interval (seconds) and return the channels' overview
        (``POST /__sandbox__/notifications/settings``)."""
        body = {} if heartbeat_interval is None else {"heartbeatInterval": heartbeat_interval}
        return self._control("POST", "notifications/settings", body)
