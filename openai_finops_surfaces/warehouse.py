"""The warehouse the surfaces read and write: the target of the dbt profile, DuckDB or PostgreSQL.

The marts are wherever `dbt build` wrote them, so the surfaces take their warehouse from the same
dbt profile and target (`--target`, else DBT_TARGET, else the profile's default; profiles.yml from
`--profiles-dir`, else DBT_PROFILES_DIR, else the dbt project's directory, else ~/.dbt; the project
is DBT_PROJECT_DIR, else this directory if it is one, else this repository), rendered like dbt
renders it (`env_var`, `as_number`). One file a dbt user already edits names the warehouse
for dbt and for every surface.

SQL given to `Warehouse` is portable (it runs on both engines) and uses `?` placeholders.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")
ENGINES = ("duckdb", "postgres")
DEFAULT_PROFILE = "openai_finops"
REPO_ROOT = Path(__file__).resolve().parent.parent


class WarehouseConfigError(Exception):
    """The dbt profile or target cannot name a warehouse the surfaces can open."""


class NoWarehouse(Exception):
    """The target's DuckDB file does not exist yet: nothing was loaded or built there."""


class WarehouseError(Exception):
    """The warehouse could not be opened or refused a statement (permissions, a file that is not a
    DuckDB database, a server that went away); the message is one line and holds no password."""


def _one_line(text: str, secret: str = "") -> str:
    text = " ".join(str(text).split())
    return text.replace(secret, "***") if secret else text


@dataclass(frozen=True)
class Target:
    """One output of the dbt profile: where the marts are."""

    name: str
    engine: str
    path: Path | None = None  # duckdb
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = field(default="", repr=False)
    dbname: str = ""

    @property
    def label(self) -> str:
        """Names the warehouse in messages and the report; never holds the password."""
        if self.engine == "duckdb":
            return str(self.path)
        return f"PostgreSQL database {self.dbname} on {self.host}:{self.port}"

    @classmethod
    def duckdb(cls, path: Path | str) -> Target:
        return cls(name="duckdb", engine="duckdb", path=Path(path))


def _render(value: Any, environ: Mapping[str, str], where: str) -> Any:
    """A profile value as dbt renders it: strings through Jinja with env_var and dbt's filters."""
    if isinstance(value, dict):
        return {key: _render(item, environ, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, environ, where) for item in value]
    if not isinstance(value, str) or "{" not in value:
        return value
    import jinja2

    def env_var(name: str, default: str | None = None) -> str:
        if name in environ:
            return environ[name]
        if default is None:
            raise WarehouseConfigError(f"{where} needs the environment variable {name}, which is not set")
        return default

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update(as_number=_as_number, as_text=str, as_bool=_as_bool)
    try:
        rendered = environment.from_string(value).render(env_var=env_var)
    except jinja2.TemplateError as error:
        # Not the value itself: it may be a password.
        raise WarehouseConfigError(f"{where}: cannot render its value: {error}") from None
    except ValueError:
        raise WarehouseConfigError(f"{where}: not a number (as_number)") from None
    return rendered


def _as_number(text: str) -> int | float:
    return int(text) if str(text).strip().lstrip("-").isdigit() else float(text)


def _as_bool(text: str) -> bool:
    return str(text).strip().lower() in ("true", "1", "yes")


def _profiles_file(profiles_dir: Path | None, project_dir: Path, environ: Mapping[str, str]) -> Path:
    candidates = (
        [profiles_dir]
        if profiles_dir
        else [Path(environ["DBT_PROFILES_DIR"])]
        if environ.get("DBT_PROFILES_DIR")
        else [project_dir, Path.home() / ".dbt"]
    )
    for directory in candidates:
        if (directory / "profiles.yml").is_file():
            return directory / "profiles.yml"
    raise WarehouseConfigError(
        f"no profiles.yml in {' or '.join(str(d) for d in candidates)}: copy profiles.example.yml to "
        "profiles.yml (the scripts do) or pass --profiles-dir"
    )


def _project_dir(environ: Mapping[str, str]) -> Path:
    """DBT_PROJECT_DIR, else this directory when it is a dbt project, else this repository's."""
    if environ.get("DBT_PROJECT_DIR"):
        return Path(environ["DBT_PROJECT_DIR"])
    if Path("dbt_project.yml").is_file() or not (REPO_ROOT / "dbt_project.yml").is_file():
        return Path(".")
    return REPO_ROOT


def _profile_name(project_dir: Path) -> str:
    project = project_dir / "dbt_project.yml"
    if project.is_file():
        document = yaml.safe_load(project.read_text(encoding="utf-8")) or {}
        return str(document.get("profile") or DEFAULT_PROFILE)
    return DEFAULT_PROFILE


def target_from_profile(
    target: str | None = None,
    profiles_dir: Path | None = None,
    project_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The warehouse of a dbt target, resolved the way dbt resolves it."""
    environ = os.environ if environ is None else environ
    project_dir = project_dir or _project_dir(environ)
    path = _profiles_file(profiles_dir, project_dir, environ)
    try:
        profiles = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise WarehouseConfigError(f"{path} is not valid YAML: {error}") from None
    name = _profile_name(project_dir)
    profile = profiles.get(name)
    if not isinstance(profile, dict) or not isinstance(profile.get("outputs"), dict):
        raise WarehouseConfigError(f"{path} has no profile {name!r} with outputs")
    chosen = target or environ.get("DBT_TARGET") or _render(profile.get("target"), environ, f"{name}.target")
    if chosen not in profile["outputs"]:
        known = ", ".join(sorted(profile["outputs"]))
        raise WarehouseConfigError(f"{path}: profile {name!r} has no target {chosen!r} (targets: {known})")
    output = _render(profile["outputs"][chosen], environ, f"{name}.outputs.{chosen}")
    engine = output.get("type")
    if engine == "duckdb":
        if not output.get("path"):
            raise WarehouseConfigError(f"{path}: target {chosen!r} (duckdb) has no path")
        return Target(name=chosen, engine="duckdb", path=Path(str(output["path"])))
    if engine == "postgres":
        missing = [key for key in ("host", "user") if not output.get(key)]
        dbname = output.get("dbname") or output.get("database")
        if missing or not dbname:
            raise WarehouseConfigError(
                f"{path}: target {chosen!r} (postgres) lacks {', '.join(missing or ['dbname'])}"
            )
        return Target(
            name=chosen,
            engine="postgres",
            host=str(output["host"]),
            port=int(output.get("port") or 5432),
            user=str(output["user"]),
            password=str(output.get("password") or output.get("pass") or ""),
            dbname=str(dbname),
        )
    raise WarehouseConfigError(
        f"{path}: target {chosen!r} is of type {engine!r}; the alerts, report and summary read "
        f"{' or '.join(ENGINES)} (choose another target with --target)"
    )


class Warehouse:
    """A connection to the target, with the few operations the surfaces need, on either engine."""

    def __init__(
        self,
        target: Target,
        connection: Any,
        errors: tuple[type[BaseException], ...],
        conflicts: tuple[type[BaseException], ...],
    ) -> None:
        self.target = target
        self.connection = connection
        # The driver's errors, turned into WarehouseError; but the errors of a transaction that lost
        # a race with another run's, which `transaction` retries.
        self.errors = errors
        self.conflicts = conflicts

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, target: Target, read_only: bool = False, lock_timeout_seconds: float = 60
    ) -> Iterator[Warehouse]:
        warehouse = cls._connect(target, read_only, lock_timeout_seconds)
        try:
            yield warehouse
        finally:
            warehouse.connection.close()

    @classmethod
    def _connect(cls, target: Target, read_only: bool, lock_timeout_seconds: float) -> Warehouse:
        if target.engine == "postgres":
            import psycopg2
            import psycopg2.errors

            try:
                connection = psycopg2.connect(
                    host=target.host,
                    port=target.port,
                    user=target.user,
                    password=target.password,
                    dbname=target.dbname,
                    connect_timeout=10,
                    application_name="openai-finops",
                    # ISO dates: the report compares dates as text.
                    options="-c TimeZone=UTC -c DateStyle=ISO",
                )
            except psycopg2.OperationalError as error:
                message = _one_line(str(error), target.password)
                raise WarehouseConfigError(f"cannot connect to {target.label}: {message}") from None
            connection.autocommit = True
            conflicts = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected)
            return cls(target, connection, (psycopg2.Error,), conflicts)
        import duckdb

        if target.path is None or not target.path.exists():
            # Never create one: an empty file would only hide a wrong path.
            raise NoWarehouse(f"no warehouse at {target.label}: run the loader and dbt first")
        deadline = time.monotonic() + lock_timeout_seconds
        delay = 0.05
        while True:
            try:
                connection = duckdb.connect(str(target.path), read_only=read_only)
                break
            except duckdb.Error as error:
                # Another process (dbt, the loader, another run) holds the file: wait for it.
                if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                    raise WarehouseError(f"cannot open {target.label}: {_one_line(str(error))}") from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        conflicts = (duckdb.TransactionException, duckdb.ConstraintException)
        return cls(target, connection, (duckdb.Error,), conflicts)

    def _sql(self, sql: str) -> str:
        if self.target.engine == "postgres":
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    @contextlib.contextmanager
    def _driver_errors(self) -> Iterator[None]:
        try:
            yield
        except self.conflicts:
            raise
        except self.errors as error:
            message = _one_line(str(error), self.target.password)
            raise WarehouseError(f"{self.target.label}: {message}") from None

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        if self.target.engine == "postgres":
            cursor = self.connection.cursor()
            cursor.execute(self._sql(sql), tuple(params))
            return cursor
        return self.connection.execute(sql, list(params))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._driver_errors():
            self._cursor(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._driver_errors():
            if self.target.engine == "postgres":
                self.connection.cursor().executemany(self._sql(sql), [tuple(row) for row in rows])
            else:
                self.connection.executemany(sql, [list(row) for row in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._driver_errors():
            return [tuple(row) for row in self._cursor(sql, params).fetchall()]

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._driver_errors():
            cursor = self._cursor(sql, params)
            columns = [item[0] for item in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def has_table(self, schema: str, name: str) -> bool:
        found = self.rows(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, name],
        )
        return bool(found and found[0][0])

    @functools.cached_property
    def _database(self) -> str:
        (database,) = self.rows("select current_database()")[0]
        return str(database)

    def schema(self, name: str) -> str:
        """A schema's name in SQL; in DuckDB with its database, as a file called alerts.duckdb would
        make a bare `alerts` ambiguous."""
        if self.target.engine == "duckdb":
            return f"{_quote(self._database)}.{_quote(name)}"
        return _quote(name)

    def table(self, schema: str, name: str) -> str:
        return f"{self.schema(schema)}.{_quote(name)}"

    def transaction(self, work: Callable[[], T], attempts: int = 20) -> T:
        """Run `work` in one transaction; one that lost a race with another run is run again."""
        for attempt in range(1, attempts + 1):
            self.execute("begin transaction")
            try:
                result = work()
                self.execute("commit")
                return result
            except self.conflicts:
                self._rollback()
                if attempt == attempts:
                    raise
                time.sleep(0.01 * attempt * (1 + random.random()))
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _rollback(self) -> None:
        # A failed commit has already ended the transaction; then there is nothing to roll back.
        with contextlib.suppress(Exception):
            self.execute("rollback")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
