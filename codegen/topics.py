"""Load the notification topic table (``spec/notification-topics.json``) for the generator.

Each row maps a topic template (``v2.users.{id}.presence``) to the definition that
describes its event body, or to ``None`` when the API definition has no such schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

TOPICS_PATH = Path(__file__).resolve().parents[1] / "spec" / "notification-topics.json"


@dataclass(frozen=True)
class Topic:
    template: str
    definition: str | None  # a definition of platform-api.json, or None
    published_class: str


def load(definitions: set[str], path: Path = TOPICS_PATH) -> list[Topic]:
    """Return the topics sorted by template; a definition the API lacks becomes ``None``."""
    rows = json.loads(path.read_text(encoding="utf-8"))["topics"]
    out = []
    for row in rows:
        definition = row.get("definition")
        out.append(Topic(template=row["topic"], definition=definition if definition in definitions else None,
                         published_class=row.get("published_class") or ""))
    return sorted(out, key=lambda t: t.template)
