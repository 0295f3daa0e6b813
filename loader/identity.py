"""One organization, one identity; demo and real bills never mixed unnoticed.

The Admin API never says which organization a key belongs to, so the id is configured. A bill
loaded under one id and later configured under another would be stored twice: every total doubled.
Project ids are unique across OpenAI, so a project already stored under another organization id
proves the same bill is being loaded under a new identity. The run stops before reading anything.

`openai_raw.organizations` records every organization a warehouse holds and whether it is one of
the simulated organizations of `--demo`.
"""

from __future__ import annotations

import logging
from typing import Any

import dlt

from loader.client import LoaderError
from loader.settings import ConfigError, Organization

log = logging.getLogger("loader")

ORGANIZATIONS_TABLE = "organizations"


class IdentityConflict(ConfigError):
    """The configured organization's bill is already stored under another id (exit 2)."""


def _stored(pipeline: dlt.Pipeline, table: str, columns: str) -> list[tuple[Any, ...]]:
    """`columns` of a raw table; none when the table does not exist yet."""
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(table)
            return list(client.execute_sql(f"select distinct {columns} from {name}") or [])
    except Exception:  # no dataset or table yet: nothing stored
        return []


def check_identities(pipeline: dlt.Pipeline, run: Any) -> None:
    """Stop when a configured organization's projects are stored under another organization id."""
    stored = {
        str(project_id): str(org_id) for project_id, org_id in _stored(pipeline, "projects", "id, org_id")
    }
    if not stored:
        return
    for org in run.settings.organizations:
        try:
            projects = run.projects(org)
        except LoaderError:
            continue  # the projects stream reports why; nothing to compare with
        elsewhere: dict[str, list[str]] = {}
        for project in projects:
            stored_under = stored.get(str(project.get("id")))
            if stored_under is not None and stored_under != org.org_id:
                elsewhere.setdefault(stored_under, []).append(str(project["id"]))
        if elsewhere:
            raise IdentityConflict(_conflict_message(org, elsewhere, len(projects)))


def _conflict_message(org: Organization, elsewhere: dict[str, list[str]], project_count: int) -> str:
    old_id, project_ids = max(elsewhere.items(), key=lambda item: len(item[1]))
    shown = ", ".join(sorted(project_ids)[:3]) + (", ..." if len(project_ids) > 3 else "")
    where = "OPENAI_ORG_ID" if org.name == org.org_id else f"[sources.openai.organizations.{org.name}] org_id"
    return (
        f"organization {org.label}: {len(project_ids)} of its {project_count} projects ({shown}) are "
        f"already loaded under organization id {old_id}, so this is the same bill under a new id and "
        f"loading it would count it twice. Nothing was loaded. To keep loading it as before, set "
        f"{where} to {old_id}; to move its history to {org.org_id}, run once with --full-refresh "
        f"(it drops and reloads the raw tables of every organization)"
    )


def simulated_organizations(pipeline: dlt.Pipeline) -> tuple[set[str], set[str]]:
    """(simulated, real) organization ids the warehouse already holds."""
    simulated: set[str] = set()
    real: set[str] = set()
    for org_id, is_simulated in _stored(pipeline, ORGANIZATIONS_TABLE, "org_id, is_simulated"):
        (simulated if is_simulated else real).add(str(org_id))
    return simulated, real


def check_demo_and_real(pipeline: dlt.Pipeline, run: Any) -> None:
    """A demo run never writes next to real bills; a real run next to simulated ones warns."""
    simulated, real = simulated_organizations(pipeline)
    demo = [org for org in run.settings.organizations if org.simulated]
    if demo and real:
        raise ConfigError(
            f"--demo would write simulated spend into a warehouse that holds real organizations "
            f"({', '.join(sorted(real))}); the demo has its own warehouse: unset OPENAI_FINOPS_DUCKDB "
            "(default warehouse/demo.duckdb) or point it at another file"
        )
    if simulated and any(not org.simulated for org in run.settings.organizations):
        names = ", ".join(sorted(simulated))
        message = (
            f"this warehouse also holds the simulated organizations of --demo ({names}): "
            "their spend is in the same marts as the real bill. Load real organizations into a warehouse "
            "of their own (OPENAI_FINOPS_DUCKDB), or rebuild this one with --full-refresh"
        )
        run.report.warnings.append(("-", ORGANIZATIONS_TABLE, message))
        log.warning("%s", message)


def organization_rows(run: Any) -> list[dict[str, Any]]:
    """A row per organization that loaded something this run (a refused key loads nothing)."""
    loaded = {outcome.org for outcome in run.report.streams if outcome.completed}
    return [
        {"org_id": org.org_id, "name": org.name, "is_simulated": org.simulated, "loaded_at": run.now}
        for org in run.settings.organizations
        if org.label in loaded
    ]
