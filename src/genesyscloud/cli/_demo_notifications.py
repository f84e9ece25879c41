"""The demo's notifications step: a presence change arriving live over the WebSocket."""

from __future__ import annotations

from typing import Any


def live_presence(gc: Any, sb: Any, console: Any) -> None:
    """Listen to the default user's presence (``v2.users.{id}.presence``), change it over REST
    (``PATCH /api/v2/users/{id}/presences/purecloud``) and print the event as it arrives."""
    import time

    from ..notifications import NotificationListener

    user = sb.info()["defaultUser"]
    topic = f"v2.users.{user['id']}.presence"
    with NotificationListener(gc, [topic]) as listener:
        console.print(f"Channel {listener.channels[0]} subscribed to [bold]{topic}[/]")
        for presence in ("Away", "Available"):
            started = time.perf_counter()
            gc.request("PATCH", f"/api/v2/users/{user['id']}/presences/purecloud",
                       json={"presenceDefinition": {"systemPresence": presence}})
            event = listener.get(timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            body = getattr(event, "body", None)
            seen = body.presence_definition.system_presence if body is not None else "?"
            console.print(f"{user['email']} set to {presence} -> event {type(body).__name__}: "
                          f"systemPresence [bold]{seen}[/] [dim]({elapsed:.0f} ms after the REST call began)")
