"""Deterministic seed data for the sandbox org.

Everything here is built from ``random.Random(seed)`` and small word lists, so the same
seed always yields the same org (ids, names, emails, queues, conversations).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

ORG_NAME = "Sandbox Org"
ORG_SHORT_NAME = "sandbox"
EMAIL_DOMAIN = "sandbox.example.com"
#: Every seeded user signs in at ``GET /oauth/authorize`` with this password.
USER_PASSWORD = "sandbox"
DATE_CREATED = "2024-01-02T03:04:05.000Z"

FIRST_NAMES = (
    "Ada", "Alan", "Alice", "Amara", "Andre", "Anya", "Arjun", "Beatriz", "Ben", "Camila",
    "Carlos", "Chen", "Chloe", "Daniel", "Diego", "Elena", "Emeka", "Emma", "Farah", "Felix",
    "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jamal", "Jana", "Jonas", "Julia", "Kai",
    "Kenji", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mateo", "Mia", "Nadia", "Noah",
    "Olga", "Omar", "Paula", "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq",
    "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe", "Ingrid", "Marek", "Nia",
)
LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersson", "Bauer", "Becker", "Brown", "Castro", "Chowdhury",
    "Costa", "Dubois", "Eriksen", "Fernandes", "Fischer", "Garcia", "Gupta", "Hansen", "Haddad",
    "Ivanova", "Jensen", "Kim", "Kowalski", "Kumar", "Larsen", "Lopez", "Martin", "Meyer",
    "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Peters",
    "Quinn", "Rossi", "Santos", "Sato", "Schmidt", "Silva", "Smith", "Suzuki", "Tanaka",
    "Thomas", "Walker", "Wang", "Weber", "Yilmaz",
)
DEPARTMENTS = ("Sales", "Support", "Billing", "Retention", "Technical Support", "Onboarding", "Quality", "IT")
TITLES = ("Agent", "Senior Agent", "Team Lead", "Supervisor", "Quality Analyst", "Workforce Planner", "Administrator")
QUEUE_TOPICS = (
    "Sales", "Support", "Billing", "Retention", "Technical Support", "Onboarding", "Returns", "Claims",
    "Premium Care", "Escalations", "Outbound", "Collections", "Chat", "Email", "Callbacks", "Partners",
)
QUEUE_REGIONS = ("EMEA", "NA", "APAC", "LATAM")
DIVISIONS = ("Home", "Sales Division", "Support Division")

PERMISSION_DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "analytics": {"conversationDetail": ("view",), "conversationAggregate": ("view",), "userObservation": ("view",)},
    "authorization": {"role": ("add", "delete", "edit", "view"), "grant": ("add", "delete", "view")},
    "conversation": {"call": ("accept", "record", "view"), "message": ("accept", "view"), "communication": ("disconnect", "view")},
    "directory": {"user": ("add", "delete", "edit", "view"), "group": ("add", "delete", "edit", "view")},
    "oauth": {"client": ("add", "delete", "edit", "view"), "token": ("delete", "view")},
    "organization": {"setting": ("edit", "view")},
    "routing": {"queue": ("add", "delete", "edit", "join", "view"), "skill": ("manage", "view"), "wrapupCode": ("add", "view")},
    "quality": {"evaluation": ("add", "edit", "view"), "calibration": ("add", "view")},
    "recording": {"recording": ("delete", "view"), "screenRecording": ("view",)},
    "telephony": {"plugin": ("all",), "station": ("view",)},
    "usage": {"client": ("view",)},
    "workforceManagement": {"schedule": ("add", "edit", "view"), "agentTimeOffRequest": ("submit", "view")},
}
ROLE_DEFS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin", "Full access to the organization", ("*:*:*",)),
    ("employee", "Default role of every user", ("directory:user:view", "organization:setting:view")),
    ("Communicate - User", "Uses calling and chat", ("conversation:call:view", "conversation:message:view")),
    ("AI Agent", "Automated agents", ("conversation:message:accept",)),
    ("Contact Center Manager", "Manages queues and agents", ("routing:*:*", "analytics:*:view", "quality:*:*")),
    ("Supervisor", "Watches queues", ("analytics:*:view", "routing:queue:view", "conversation:communication:view")),
    ("Agent", "Takes interactions", ("routing:queue:join", "conversation:call:accept", "conversation:message:accept")),
    ("Quality Evaluator", "Evaluates interactions", ("quality:evaluation:*", "recording:recording:view")),
    ("Developer", "Builds integrations", ("oauth:*:*", "usage:client:view", "authorization:role:view")),
    ("Workforce Planner", "Plans schedules", ("workforceManagement:*:*",)),
    ("Reporting Admin", "Runs analytics reports", ("analytics:*:*",)),
    ("Master Admin", "Manages the organization", ("*:*:*",)),
)
OAUTH_SCOPES: tuple[tuple[str, str], ...] = tuple(
    pair
    for name, label in (
        ("analytics", "analytics data"), ("architect", "Architect flows"), ("authorization", "roles and grants"),
        ("conversations", "conversations"), ("groups", "groups"), ("notifications", "notification channels"),
        ("oauth", "OAuth clients"), ("organization", "organization settings"), ("presence", "presence"),
        ("quality", "quality management"), ("recordings", "recordings"), ("routing", "routing settings"),
        ("scripts", "scripts"), ("telephony", "telephony"), ("usage", "API usage"), ("users", "users"),
        ("workforce-management", "workforce management"),
    )
    for pair in ((name, f"Create, read, update and delete {label}."), (f"{name}:readonly", f"Read {label}."))
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_seed(seed: int) -> dict[str, Any]:
    """Build the seeded org: ``{"org", "divisions", "users", "roles", "permissions",
    "queues", "conversations", "scopes"}`` (lists of JSON-ready dicts, in a fixed order)."""
    rng = random.Random(seed)
    org_id = _uuid(rng)
    org = {
        "id": org_id,
        "name": ORG_NAME,
        "defaultLanguage": "en-us",
        "defaultCountryCode": "US",
        "thirdPartyOrgName": ORG_SHORT_NAME,
        "domain": ORG_SHORT_NAME,
        "version": 1,
        "state": "active",
        "voicemailEnabled": True,
        "productPlatform": "GenesysCloud",
        "features": {"purecloud": True, "sandbox": True},
        "selfUri": f"/api/v2/organizations/{org_id}",
    }
    divisions = []
    for name in DIVISIONS:
        div_id = _uuid(rng)
        divisions.append({"id": div_id, "name": name, "selfUri": f"/api/v2/authorization/divisions/{div_id}"})

    roles = []
    for name, description, perms in ROLE_DEFS:
        role_id = _uuid(rng)
        roles.append({
            "id": role_id, "name": name, "description": description, "permissions": list(perms),
            "permissionPolicies": [], "userCount": 0, "default": name in ("admin", "employee"),
            "base": False, "roleNeedsUpdate": False, "selfUri": f"/api/v2/authorization/roles/{role_id}",
        })

    permissions = []
    for domain, entities in PERMISSION_DOMAINS.items():
        pmap = {
            entity: [
                {"domain": domain, "entityType": entity, "action": action,
                 "label": f"{action} {entity}", "allowsConditions": False, "divisionAware": entity != "setting"}
                for action in actions
            ]
            for entity, actions in entities.items()
        }
        permissions.append({"id": domain, "name": domain, "domain": domain, "permissionMap": pmap,
                            "selfUri": f"/api/v2/authorization/permissions/{domain}"})

    users = []
    seen_emails: set[str] = set()
    for i in range(3200):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email = f"{base}@{EMAIL_DOMAIN}"
        n = 2
        while email in seen_emails:
            email = f"{base}{n}@{EMAIL_DOMAIN}"
            n += 1
        seen_emails.add(email)
        user_id = _uuid(rng)
        division = divisions[rng.randrange(len(divisions))]
        phone = f"+1317555{rng.randrange(10000):04d}"
        state = "inactive" if rng.random() < 0.02 else "active"
        users.append({
            "id": user_id,
            "name": f"{first} {last}",
            "division": dict(division),
            "chat": {"jabberId": f"{user_id[:24]}@{ORG_SHORT_NAME}.orgspan.com"},
            "department": rng.choice(DEPARTMENTS),
            "email": email,
            "primaryContactInfo": [
                {"address": email, "mediaType": "EMAIL", "type": "PRIMARY"},
                {"address": phone, "display": phone, "mediaType": "PHONE", "type": "PRIMARY"},
            ],
            "addresses": [{"address": phone, "display": phone, "mediaType": "PHONE", "type": "WORK"}],
            "state": state,
            "title": rng.choice(TITLES),
            "username": email,
            "images": [],
            "version": 1 + rng.randrange(5),
            "acdAutoAnswer": rng.random() < 0.1,
            "dateLastLogin": DATE_CREATED,
            "selfUri": f"/api/v2/users/{user_id}",
        })
    # the first user is an administrator: a stable, active login for demos and tests
    users[0]["state"] = "active"
    users[0]["title"] = "Administrator"

    queues = []
    names: set[str] = set()
    while len(queues) < 48:
        name = f"{rng.choice(QUEUE_TOPICS)} {rng.choice(QUEUE_REGIONS)}"
        if name in names:
            name = f"{name} {len(queues)}"
        names.add(name)
        queue_id = _uuid(rng)
        members = rng.randrange(0, 60)
        queues.append({
            "id": queue_id,
            "name": name,
            "division": dict(divisions[rng.randrange(len(divisions))]),
            "description": f"{name} queue",
            "dateCreated": DATE_CREATED,
            "dateModified": DATE_CREATED,
            "createdBy": users[0]["id"],
            "modifiedBy": users[0]["id"],
            "memberCount": members,
            "userMemberCount": members,
            "joinedMemberCount": rng.randrange(0, members + 1),
            "mediaSettings": {},
            "routingRules": [],
            "scoringMethod": "TimestampAndPriority",
            "lastAgentRoutingMode": "Disabled",
            "skillEvaluationMethod": rng.choice(("NONE", "BEST", "ALL")),
            "autoAnswerOnly": False,
            "enableTranscription": rng.random() < 0.5,
            "enableAudioMonitoring": False,
            "enableManualAssignment": False,
            "suppressInQueueCallRecording": False,
            "selfUri": f"/api/v2/routing/queues/{queue_id}",
        })

    conversations = []
    for i in range(80):
        conv_id = _uuid(rng)
        agent = users[0] if i < 5 else users[rng.randrange(len(users))]
        queue = queues[rng.randrange(len(queues))]
        minute = rng.randrange(60)
        start = f"2024-01-02T0{3 + i % 6}:{minute:02d}:05.000Z"
        state = "connected" if i % 3 else "disconnected"
        customer_phone = f"+1317555{rng.randrange(10000):04d}"
        participants = [
            {"id": _uuid(rng), "startTime": start, "purpose": "customer", "participantType": "External",
             "address": f"tel:{customer_phone}", "ani": f"tel:{customer_phone}", "name": "Customer",
             "attributes": {}, "calls": [{"state": state, "direction": "inbound"}]},
            {"id": _uuid(rng), "startTime": start, "purpose": "acd", "participantType": "Acd", "queueId": queue["id"],
             "queueName": queue["name"], "name": queue["name"], "attributes": {}, "calls": [{"state": "disconnected"}]},
            {"id": _uuid(rng), "startTime": start, "purpose": "agent", "participantType": "Internal",
             "userId": agent["id"], "userUri": agent["selfUri"], "name": agent["name"], "queueId": queue["id"],
             "attributes": {}, "calls": [{"state": state, "direction": "inbound"}]},
        ]
        conv = {
            "id": conv_id, "startTime": start, "participants": participants, "conversationIds": [],
            "maxParticipants": 3, "recordingState": "NONE", "state": state,
            "divisions": [{"division": {"id": queue["division"]["id"], "selfUri": queue["division"]["selfUri"]}, "entities": []}],
            "selfUri": f"/api/v2/conversations/{conv_id}",
        }
        if state == "disconnected":
            conv["endTime"] = start.replace(":05.000Z", ":55.000Z")
        conversations.append(conv)

    scopes = [{"id": sid, "description": desc, "selfUri": f"/api/v2/oauth/scopes/{sid}"} for sid, desc in OAUTH_SCOPES]
    return {"org": org, "divisions": divisions, "users": users, "roles": roles, "permissions": permissions,
            "queues": queues, "conversations": conversations, "scopes": scopes, "rng_state": rng.getstate()}
