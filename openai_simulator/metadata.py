"""The organization metadata lists: projects, users, project API keys, service accounts, users."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from openai_simulator.errors import ApiError, bad_request
from openai_simulator.query import Query
from openai_simulator.world import ApiKey, Organization, Project

Item = dict[str, object]


def _list(
    items: Sequence[Item], q: Query, id_of: Callable[[Item], str] = lambda i: str(i["id"])
) -> dict[str, object]:
    limit = q.integer("limit")
    limit = 20 if limit is None else limit
    if not 1 <= limit <= 100:
        raise bad_request(f"Invalid limit provided: {limit}. Limit must be between 1 and 100.", "limit")
    after = q.one("after")
    start = 0
    if after is not None:
        ids = [id_of(i) for i in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    page = list(items[start : start + limit])
    return {
        "object": "list",
        "data": page,
        "first_id": id_of(page[0]) if page else None,
        "last_id": id_of(page[-1]) if page else None,
        "has_more": start + limit < len(items),
    }


def _project(p: Project) -> Item:
    return {
        "id": p.id,
        "object": "organization.project",
        "name": p.name,
        "created_at": p.created_at,
        "archived_at": p.archived_at,
        "status": "archived" if p.archived_at is not None else "active",
        "external_key_id": None,
    }


def projects(org: Organization, q: Query) -> dict[str, object]:
    include_archived = q.boolean("include_archived") or False
    items = [_project(p) for p in org.projects if include_archived or p.archived_at is None]
    return _list(items, q)


def users(org: Organization, q: Query) -> dict[str, object]:
    emails = set(q.many("emails") or ())
    items: list[Item] = [
        {
            "object": "organization.user",
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "role": u.role,
            "added_at": u.added_at,
        }
        for u in org.users
        if not emails or u.email in emails
    ]
    return _list(items, q)


def _require_project(org: Organization, project_id: str) -> Project:
    p = org.project(project_id)
    if p is None:
        raise ApiError(404, f"No such project: '{project_id}'.", param="project_id", code="not_found")
    return p


def _key(org: Organization, k: ApiKey, last_used: dict[str, int]) -> Item:
    if k.owner_user_id is not None:
        u = next(u for u in org.users if u.id == k.owner_user_id)
        owner: Item = {
            "type": "user",
            "user": {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": "owner" if u.role == "owner" else "member",
                "created_at": u.added_at,
            },
        }
    else:
        sa = next(s for s in org.service_accounts if s.id == k.owner_service_account_id)
        owner = {
            "type": "service_account",
            "service_account": {"id": sa.id, "name": sa.name, "created_at": sa.created_at, "role": "member"},
        }
    return {
        "object": "organization.project.api_key",
        "redacted_value": k.redacted_value,
        "name": k.name,
        "created_at": k.created_at,
        "last_used_at": last_used.get(k.id),
        "id": k.id,
        "owner_project_access": k.access,
        "owner": owner,
    }


def api_keys(org: Organization, project_id: str, q: Query, last_used: dict[str, int]) -> dict[str, object]:
    _require_project(org, project_id)
    access = q.one("owner_project_access")
    if access not in (None, "active", "inactive", "any"):
        raise bad_request(
            f"Invalid owner_project_access: '{access}'. Supported values are: 'active', 'inactive', 'any'.",
            "owner_project_access",
        )
    wanted = {"active"} if access is None else {"active", "inactive"} if access == "any" else {access}
    items = [
        _key(org, k, last_used)
        for k in org.keys
        if k.project_id == project_id and not k.deleted and k.access in wanted
    ]
    return _list(items, q)


def service_accounts(org: Organization, project_id: str, q: Query) -> dict[str, object]:
    _require_project(org, project_id)
    items: list[Item] = [
        {
            "object": "organization.project.service_account",
            "id": s.id,
            "name": s.name,
            "role": "member",
            "created_at": s.created_at,
        }
        for s in org.service_accounts
        if s.project_id == project_id
    ]
    return _list(items, q)


def project_users(org: Organization, project_id: str, q: Query) -> dict[str, object]:
    _require_project(org, project_id)
    by_id = {u.id: u for u in org.users}
    items: list[Item] = [
        {
            "object": "organization.project.user",
            "id": uid,
            "name": by_id[uid].name,
            "email": by_id[uid].email,
            "role": role,
            "added_at": added,
        }
        for uid, role, added in org.project_users.get(project_id, [])
    ]
    return _list(items, q)


def admin_keys(org: Organization, q: Query) -> dict[str, object]:
    owner = org.users[0]
    key = org.spec.admin_key
    items: list[Item] = [
        {
            "object": "organization.admin_api_key",
            "id": "key_" + key[-16:],
            "name": "finops loader",
            "redacted_value": f"sk-admin...{key[-3:]}",
            "created_at": owner.added_at,
            "expires_at": None,
            "last_used_at": None,
            "owner": {
                "type": "user",
                "object": "organization.user",
                "id": owner.id,
                "name": owner.name,
                "created_at": owner.added_at,
                "role": "owner",
            },
        }
    ]
    return _list(items, q)
