"""``genesys-cloud notifications listen TOPIC...``: stream notification events to stdout.

The ``notifications`` API group keeps its operation commands; ``listen`` is added to it.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import threading
from typing import Any

import click

from ._errors import EXIT_AUTH, EXIT_USAGE, CLIError
from ._ops import ApiGroup, session_options, settings_from

__all__ = ["NotificationsGroup", "listen"]


class NotificationsGroup(ApiGroup):
    """The Notifications API group's operations plus ``listen``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["listen", *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "listen":
            return listen
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([("listen", "Stream events of TOPIC... until Ctrl-C (or --for SECONDS).")])
        super().format_commands(ctx, formatter)


def _resolve_me(topics: tuple[str, ...], client: Any) -> list[str]:
    """Replace ``me`` segments (in ``{id}`` places) with the signed-in user's id."""
    from ..notifications import topic_template

    if not any("me" in t.split(".") for t in topics):
        return list(topics)
    from .._core.errors import APIStatusError

    try:
        me = client.request("GET", "/api/v2/users/me").json()["id"]
    except APIStatusError as exc:
        raise CLIError("`me` in a topic needs a signed-in user (a user token; client credentials have no user): "
                       f"{exc}", EXIT_AUTH) from exc
    out = []
    for topic in topics:
        segs = topic.split(".")
        resolved = ".".join(me if s == "me" else s for s in segs)
        if "me" in segs and topic_template(resolved) is None:
            raise CLIError(f"{topic}: no topic template has an {{id}} where `me` stands", EXIT_USAGE)
        out.append(resolved)
    return out


def _gap_record(gap: Any) -> dict[str, Any]:
    return {"streamGap": {"started": gap.started.isoformat(), "ended": gap.ended.isoformat(),
                          "topics": list(gap.topics), "reason": gap.reason}}


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # a reader of the pipe has every event as it arrives; none is lost on Ctrl-C


def _table_line(item: Any) -> str:
    from ..notifications import StreamGap

    now = _dt.datetime.now(_dt.timezone.utc).strftime("%H:%M:%S")
    if isinstance(item, StreamGap):
        return f"{now}  {'-- stream gap --':<60}  {item.seconds:.1f} s: {item.reason}"
    body = json.dumps(item.raw.get("eventBody"), separators=(",", ":"), ensure_ascii=False)
    if len(body) > 120:
        body = body[:117] + "..."
    return f"{now}  {item.topic:<60}  {body}"


@click.command("listen")
@click.argument("topics", nargs=-1, required=True, metavar="TOPIC...")
@click.option("--output", "-o", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl", show_default=True,
              help="jsonl: one JSON message per line (a stream gap as {\"streamGap\": ...}); table: aligned rows.")
@click.option("--for", "duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop after this many seconds (exit code 0).")
def listen(topics: tuple[str, ...], fmt: str, duration: float | None, **kw: Any) -> None:
    """Stream the events of TOPIC... (e.g. `v2.users.me.presence`; `me` stands for the signed-in
    user in an `{id}` place) until Ctrl-C (exit code 130) or --for SECONDS.

    Creates a channel (POST /api/v2/notifications/channels), subscribes the topics over REST and
    reads the WebSocket; heartbeats are hidden, socket_closing and drops are handled (a drop
    is shown as a stream gap). Rejected topics are an error naming each one and why.
    """
    from ..notifications import NotificationListener, StreamGap
    from ._session import open_session

    settings = settings_from(click.get_current_context(), kw)
    with open_session(settings) as session:
        client = session.client
        resolved = _resolve_me(topics, client)
        listener = NotificationListener(client, resolved)
        listener.start()
        timer = None
        try:
            if fmt == "table":
                click.echo(f"listening to {len(resolved)} topic(s) on {len(listener.channels)} channel(s); Ctrl-C stops",
                           err=True)
            if duration is not None:
                timer = threading.Timer(duration, listener.close)
                timer.daemon = True
                timer.start()
            try:
                for item in listener:
                    if fmt == "table":
                        _write(_table_line(item))
                    elif isinstance(item, StreamGap):
                        _write(json.dumps(_gap_record(item)))
                    else:
                        _write(json.dumps(item.raw, separators=(",", ":"), ensure_ascii=False))
            except KeyboardInterrupt:
                while True:  # write what already arrived, then stop
                    try:
                        item = listener.get(timeout=0)
                    except (TimeoutError, KeyboardInterrupt):
                        break
                    if item is None:
                        break
                    _write(_table_line(item) if fmt == "table" else json.dumps(
                        _gap_record(item) if isinstance(item, StreamGap) else item.raw, separators=(",", ":")))
                raise  # the tool reports "interrupted" and exits with 130
        finally:
            if timer is not None:
                timer.cancel()
            listener.close()


listen.params.extend(session_options())
