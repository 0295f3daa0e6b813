"""The entities of a simulated organization (projects, users, keys) and its usage streams.

A stream is the finest-grained series the simulator generates: one combination of every
dimension an endpoint can be grouped by (project, key, user, model, tier, ...). Its values are
computed on demand by `generator.Generator`; only these small descriptors live in memory.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from openai_simulator import catalog
from openai_simulator.config import OrganizationSpec
from openai_simulator.prng import stable_int, token

DAY = 86400
EPOCH = date(1970, 1, 1)

_FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Leslie",
    "Katherine",
    "John",
    "Hedy",
    "Tim",
    "Sophie",
    "Guido",
    "Anita",
    "Linus",
)
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Lamport",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Rossum",
)
_PROJECT_NAMES = (
    "Support Assistant",
    "Search Relevance",
    "Document Intake",
    "Sales Copilot",
    "Data Labeling",
    "Voice Agent",
    "Marketing Studio",
    "Internal Tools",
    "Research Sandbox",
    "Legacy Chatbot",
)


def day_to_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def date_to_day(d: date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    created_at: int
    archived_at: int | None


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    role: str
    added_at: int


@dataclass(frozen=True)
class ServiceAccount:
    id: str
    name: str
    project_id: str
    created_at: int


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    project_id: str
    created_at: int
    redacted_value: str
    owner_user_id: str | None
    owner_service_account_id: str | None
    access: str = "active"  # owner_project_access
    deleted: bool = False
    end_day: int | None = None  # no usage from this day on


@dataclass(eq=False)
class Stream:
    key: int  # 64-bit id feeding the PRNG
    endpoint: str  # a catalog.ENDPOINTS name or a catalog.COST_ONLY_STREAMS name
    project_id: str
    user_id: str | None
    api_key_id: str | None
    dims: dict[str, object]
    base: float  # mean daily primary count on a weekday at start_day
    ratios: tuple[float, ...]  # other fields per unit of the primary count
    growth: float  # log growth per day
    noise: float  # log-sd of daily noise
    profile: str  # interactive | batch | sparse | level
    start_day: int
    end_day: int | None = None
    anomalies: list[tuple[int, int | None, float]] = field(default_factory=list)

    def dim(self, name: str) -> object:
        if name == "project_id":
            return self.project_id
        if name == "user_id":
            return self.user_id
        if name == "api_key_id":
            return self.api_key_id
        return self.dims.get(name)


@dataclass
class Organization:
    spec: OrganizationSpec
    projects: list[Project]
    users: list[User]
    service_accounts: list[ServiceAccount]
    keys: list[ApiKey]
    project_users: dict[str, list[tuple[str, str, int]]]  # project id -> (user id, role, added_at)
    streams: list[Stream]
    anomalies: list[dict[str, object]]
    by_endpoint: dict[str, list[Stream]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for s in self.streams:
            self.by_endpoint.setdefault(s.endpoint, []).append(s)

    @property
    def org_id(self) -> str:
        return self.spec.org_id

    def project(self, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)


def _loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


class _Builder:
    def __init__(self, spec: OrganizationSpec, seed: int, first_day: int, anchor_day: int) -> None:
        self.spec = spec
        self.seed = seed
        self.first_day = first_day
        self.anchor_day = anchor_day
        self.rng = random.Random(stable_int(seed, "org-build", spec.org_id))
        self.streams: list[Stream] = []

    def tok(self, *parts: object, length: int = 24) -> str:
        return token(self.seed, self.spec.org_id, *parts, length=length)

    def build(self) -> Organization:
        users = self._users()
        projects = self._projects()
        service_accounts, keys, project_users = self._keys(projects, users)
        keys = self._special_keys(projects, users, keys, project_users)
        self.vector_stores = {
            p.id: ["vs_" + self.tok("vs", p.id, j) for j in range(1 + self.rng.randrange(2))]
            for p in projects
        }
        for k in keys:
            self._key_streams(k, next(p for p in projects if p.id == k.project_id))
        for p in projects:
            self._project_streams(p)
        self._ensure_coverage(projects, keys)
        self._cost_only_streams(projects, keys)
        anomalies = self._anomalies(projects, keys)
        return Organization(
            self.spec, projects, users, service_accounts, keys, project_users, self.streams, anomalies
        )

    def _users(self) -> list[User]:
        rng, spec = self.rng, self.spec
        history = self.anchor_day - self.first_day
        users: list[User] = []
        for i in range(spec.users):
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]
            added = (
                self.first_day - rng.randint(30, 400)
                if rng.random() < 0.8
                else self.first_day + rng.randint(0, max(1, history // 2))
            )
            users.append(
                User(
                    "user-" + self.tok("user", i),
                    f"{first} {last}",
                    f"{first.lower()}.{last.lower()}{i}@example.com",
                    "owner" if i < 2 else "reader",
                    added * DAY + rng.randint(0, DAY - 1),
                )
            )
        return users

    def _projects(self) -> list[Project]:
        rng, spec = self.rng, self.spec
        history = self.anchor_day - self.first_day
        projects: list[Project] = []
        n_archived = spec.archived_projects
        for i in range(spec.projects):
            old = i == 0 or rng.random() < 0.6 or i >= spec.projects - n_archived
            created = (
                self.first_day - rng.randint(20, 300)
                if old
                else self.first_day + rng.randint(0, max(1, history * 6 // 10))
            )
            archived = None
            if i >= spec.projects - n_archived:
                archived = self.anchor_day - rng.randint(
                    min(20, history // 3), max(min(20, history // 3), min(50, history - 5))
                )
                archived = max(archived, created + 1)
            name = _PROJECT_NAMES[i % len(_PROJECT_NAMES)] + (
                "" if i < len(_PROJECT_NAMES) else f" {i // len(_PROJECT_NAMES) + 1}"
            )
            projects.append(
                Project(
                    "proj_" + self.tok("project", i),
                    name,
                    created * DAY + rng.randint(0, DAY - 1),
                    None if archived is None else archived * DAY + rng.randint(0, DAY - 1),
                )
            )
        return projects

    def _keys(
        self, projects: list[Project], users: list[User]
    ) -> tuple[list[ServiceAccount], list[ApiKey], dict[str, list[tuple[str, str, int]]]]:
        """Per project: a service account, user-owned keys and a last, service-account-owned key."""
        rng, spec = self.rng, self.spec
        service_accounts: list[ServiceAccount] = []
        keys: list[ApiKey] = []
        project_users: dict[str, list[tuple[str, str, int]]] = {}
        for pi, p in enumerate(projects):
            p_day = p.created_at // DAY
            sa = ServiceAccount(
                "svc_acct_" + self.tok("sa", pi), f"{p.name} backend", p.id, p.created_at + 600
            )
            service_accounts.append(sa)
            members: dict[str, tuple[str, str, int]] = {
                users[0].id: (users[0].id, "owner", max(p.created_at, users[0].added_at))
            }
            for ki in range(spec.keys_per_project):
                kid = "key_" + self.tok("key", pi, ki, length=16)
                secret = self.tok("secret", pi, ki, length=8)
                if ki == spec.keys_per_project - 1:
                    created = p_day + rng.randint(0, 5)
                    keys.append(
                        ApiKey(
                            kid,
                            f"{p.name.lower().replace(' ', '-')}-prod",
                            p.id,
                            created * DAY + 3600,
                            f"sk-svcacct-{secret[:3]}...{secret[-4:]}",
                            None,
                            sa.id,
                        )
                    )
                    continue
                owner = users[rng.randrange(len(users))]
                created = max(p_day, owner.added_at // DAY) + rng.randint(0, 10)
                members.setdefault(owner.id, (owner.id, "member", max(p.created_at, owner.added_at)))
                keys.append(
                    ApiKey(
                        kid,
                        f"{owner.name.split()[0]}'s key",
                        p.id,
                        created * DAY + 7200,
                        f"sk-proj-{secret[:3]}...{secret[-4:]}",
                        owner.id,
                        None,
                    )
                )
            project_users[p.id] = sorted(members.values())
        return service_accounts, keys, project_users

    def _special_keys(
        self,
        projects: list[Project],
        users: list[User],
        keys: list[ApiKey],
        project_users: dict[str, list[tuple[str, str, int]]],
    ) -> list[ApiKey]:
        """An owner who left a project (inactive key) and a deleted key whose spend stays in history."""
        history = self.anchor_day - self.first_day
        out = list(keys)
        if history < 20:
            return out
        p1 = projects[1]
        idx = next((i for i, k in enumerate(out) if k.project_id == p1.id and k.owner_user_id), None)
        if idx is not None:
            k = out[idx]
            out[idx] = ApiKey(
                k.id,
                k.name,
                k.project_id,
                k.created_at,
                k.redacted_value,
                k.owner_user_id,
                None,
                access="inactive",
                end_day=self.anchor_day - history // 4,
            )
        p0 = projects[0]
        owner = users[1]
        secret = self.tok("secret", "deleted", length=8)
        out.append(
            ApiKey(
                "key_" + self.tok("key", "deleted", length=16),
                "old-notebook",
                p0.id,
                max(p0.created_at, owner.added_at) + DAY,
                f"sk-proj-{secret[:3]}...{secret[-4:]}",
                owner.id,
                None,
                deleted=True,
                end_day=self.anchor_day - history // 3,
            )
        )
        project_users[p0.id] = sorted(
            {*project_users[p0.id], (owner.id, "member", max(p0.created_at, owner.added_at))}
        )
        return out

    def _add(
        self,
        endpoint: str,
        project: Project,
        k: ApiKey | None,
        dims: dict[str, object],
        base: float,
        ratios: tuple[float, ...],
        profile: str = "interactive",
        start_day: int | None = None,
    ) -> Stream:
        rng = self.rng
        start = max(self.first_day, project.created_at // DAY + 1, (k.created_at // DAY + 1) if k else 0)
        if start_day is not None:
            start = max(start, start_day)
        ends = [
            d
            for d in ((project.archived_at // DAY) if project.archived_at else None, k.end_day if k else None)
            if d is not None
        ]
        user_id = k.owner_user_id if k else None
        s = Stream(
            key=stable_int(self.seed, self.spec.org_id, "stream", len(self.streams), endpoint, project.id),
            endpoint=endpoint,
            project_id=project.id,
            user_id=user_id,
            api_key_id=k.id if k else None,
            dims=dims,
            base=base,
            ratios=ratios,
            growth=rng.uniform(-0.0008, 0.006),
            noise=rng.uniform(0.1, 0.25),
            profile=profile,
            start_day=start,
            end_day=min(ends) if ends else None,
        )
        self.streams.append(s)
        return s

    def _key_streams(self, k: ApiKey, p: Project) -> None:
        rng = self.rng
        service = k.owner_service_account_id is not None
        scale = 3.0 if service else 1.0
        names = [m for m, _ in catalog.EVERYDAY_MODELS]
        weights = [w for _, w in catalog.EVERYDAY_MODELS]
        chosen: list[str] = []
        for _ in range(rng.choice((1, 2, 2, 3))):
            m = rng.choices(names, weights)[0]
            if m not in chosen:
                chosen.append(m)
        for m in chosen:
            model = catalog.TEXT_MODELS[m]
            batch = service and "batch" in model.tiers and rng.random() < 0.5
            tier = "default"
            premium = [t for t in model.tiers if t in ("flex", "priority")]
            if not batch and premium and rng.random() < 0.35:
                tier = rng.choice(premium)
            self._completions(p, k, m, tier, batch, scale)
        for endpoint, prob in (
            ("embeddings", 0.5),
            ("moderations", 0.3),
            ("images", 0.25),
            ("audio_speeches", 0.2),
            ("audio_transcriptions", 0.2),
            ("file_search_calls", 0.3),
            ("web_search_calls", 0.3),
        ):
            if rng.random() < prob:
                self._other(endpoint, p, k, scale)

    def _completions(
        self,
        p: Project,
        k: ApiKey | None,
        m: str,
        tier: str,
        batch: bool,
        scale: float,
        base: float | None = None,
        start_day: int | None = None,
    ) -> Stream:
        rng = self.rng
        model = catalog.TEXT_MODELS[m]
        in_per = _loguniform(rng, 2000, 12000) if batch else _loguniform(rng, 300, 4000)
        out_per = _loguniform(rng, 80, 900)
        cached = 0.0 if batch or model.tiers[tier][1] is None else rng.uniform(0.1, 0.6)
        write = in_per * rng.uniform(0.01, 0.05) if model.cache_write and not batch and cached else 0.0
        audio = model.audio is not None and tier == "default" and not batch and rng.random() < 0.35
        image = model.image is not None and tier == "default" and not batch and rng.random() < 0.4
        in_audio, out_audio = (
            (_loguniform(rng, 200, 1500), _loguniform(rng, 100, 800)) if audio else (0.0, 0.0)
        )
        in_image = rng.uniform(500, 1500) if image else 0.0
        ratios = (
            in_per * (1 - cached),
            in_audio * 0.9,
            in_image * 0.8,
            in_per * cached,
            in_audio * 0.1,
            in_image * 0.2,
            write,
            out_per,
            out_audio,
            0.0,
        )
        if base is None:
            base = (_loguniform(rng, 200, 5000) if batch else _loguniform(rng, 20, 3000)) * scale
        return self._add(
            "completions",
            p,
            k,
            {"model": m, "batch": batch, "service_tier": tier},
            base,
            ratios,
            "batch" if batch else "interactive",
            start_day,
        )

    def _other(self, endpoint: str, p: Project, k: ApiKey, scale: float) -> None:
        rng = self.rng
        if endpoint == "embeddings":
            m = rng.choice(sorted(catalog.EMBEDDING_MODELS))
            self._add(
                endpoint,
                p,
                k,
                {"model": m},
                _loguniform(rng, 50, 5000) * scale,
                (_loguniform(rng, 100, 2000),),
            )
        elif endpoint == "moderations":
            m = rng.choice(sorted(catalog.MODERATION_MODELS))
            self._add(
                endpoint, p, k, {"model": m}, _loguniform(rng, 50, 2000) * scale, (_loguniform(rng, 50, 500),)
            )
        elif endpoint == "images":
            for _ in range(rng.choice((1, 2))):
                m = rng.choice(sorted(catalog.IMAGE_MODELS))
                size = rng.choice(sorted(catalog.IMAGE_MODELS[m]))
                source = rng.choice(catalog.IMAGE_SOURCES[m])
                self._add(
                    endpoint,
                    p,
                    k,
                    {"model": m, "size": size, "source": source},
                    _loguniform(rng, 2, 80) * scale,
                    (rng.uniform(1.0, 2.5),),
                )
        elif endpoint == "audio_speeches":
            m = rng.choice(sorted(catalog.SPEECH_MODELS))
            self._add(
                endpoint, p, k, {"model": m}, _loguniform(rng, 5, 300) * scale, (_loguniform(rng, 200, 1500),)
            )
        elif endpoint == "audio_transcriptions":
            m = rng.choice(sorted(catalog.TRANSCRIPTION_MODELS))
            self._add(
                endpoint, p, k, {"model": m}, _loguniform(rng, 5, 300) * scale, (_loguniform(rng, 20, 400),)
            )
        elif endpoint == "file_search_calls":
            vs = rng.choice(self.vector_stores[p.id])
            self._add(endpoint, p, k, {"vector_store_id": vs}, _loguniform(rng, 10, 1000) * scale, ())
        elif endpoint == "web_search_calls":
            m = rng.choice(catalog.WEB_SEARCH_MODELS)
            level = rng.choice(catalog.ENUM_VALUES["context_level"])
            self._add(
                endpoint,
                p,
                k,
                {"model": m, "context_level": level},
                _loguniform(rng, 10, 500) * scale,
                (rng.uniform(1.0, 1.6),),
            )

    def _ensure_coverage(self, projects: list[Project], keys: list[ApiKey]) -> None:
        """Small random organizations still use every endpoint, tier and batch at least twice."""
        live = [k for k in keys if k.end_day is None and not k.deleted]
        live = [k for k in live if next(p for p in projects if p.id == k.project_id).archived_at is None]
        by_id = {p.id: p for p in projects}

        def ongoing(pred: object) -> int:
            return sum(1 for s in self.streams if s.end_day is None and pred(s))  # type: ignore[operator]

        for i, endpoint in enumerate(
            (
                "embeddings",
                "moderations",
                "images",
                "audio_speeches",
                "audio_transcriptions",
                "file_search_calls",
                "web_search_calls",
            )
        ):
            for j in range(max(0, 2 - ongoing(lambda s, e=endpoint: s.endpoint == e))):
                k = live[(i * 3 + j) % len(live)]
                self._other(endpoint, by_id[k.project_id], k, 1.0)
        sa_keys = [k for k in live if k.owner_service_account_id] or live
        for i, (model, tier, batch) in enumerate(
            (
                ("gpt-5-2025-08-07", "flex", False),
                ("gpt-4.1-2025-04-14", "priority", False),
                ("gpt-4o-mini-2024-07-18", "default", True),
            )
        ):
            if not ongoing(
                lambda s, t=tier, b=batch: (
                    s.endpoint == "completions" and s.dims["service_tier"] == t and s.dims["batch"] is b
                )
            ):
                k = sa_keys[i % len(sa_keys)]
                self._completions(by_id[k.project_id], k, model, tier, batch, 1.0)

    def _project_streams(self, p: Project) -> None:
        rng = self.rng
        self._add("vector_stores", p, None, {}, _loguniform(rng, 5e7, 5e9), (), "level")
        if rng.random() < 0.6:
            self._add("code_interpreter_sessions", p, None, {}, _loguniform(rng, 2, 200), ())

    def _cost_only_streams(self, projects: list[Project], keys: list[ApiKey]) -> None:
        rng = self.rng
        active = [p for p in projects if p.archived_at is None]
        p0 = active[0]
        sa_key = next(k for k in keys if k.project_id == p0.id and k.owner_service_account_id)
        self._add(
            "fine_tuning",
            p0,
            sa_key,
            {"model": catalog.FINE_TUNED_MODEL},
            _loguniform(rng, 2e6, 2e7),
            (),
            "sparse",
        )
        # The fine-tuned model is then used for inference in the same project.
        self._completions(p0, sa_key, catalog.FINE_TUNED_MODEL, "default", False, 1.0)
        p1 = active[min(1, len(active) - 1)]
        ev_key = next(k for k in keys if k.project_id == p1.id and k.owner_service_account_id)
        self._add(
            "evals",
            p1,
            ev_key,
            {"model": catalog.EVALS_MODEL},
            _loguniform(rng, 50, 500),
            (800.0, 200.0),
            "sparse",
        )

    def _anomalies(self, projects: list[Project], keys: list[ApiKey]) -> list[dict[str, object]]:
        rng = self.rng
        lo = max(self.first_day + 21, self.anchor_day - 60)
        hi = self.anchor_day - 6
        if hi - lo < 12:
            return []
        days = list(range(lo, hi, 3))
        rng.shuffle(days)
        active = {p.id for p in projects if p.archived_at is None}
        comp = [
            s
            for s in self.streams
            if s.endpoint == "completions"
            and s.project_id in active
            and s.end_day is None
            and s.start_day < lo - 14
        ]
        if not comp:
            return []
        totals: dict[str, float] = {}
        for s in comp:
            totals[s.project_id] = totals.get(s.project_id, 0.0) + s.base * (s.ratios[0] + s.ratios[7])
        ranked = sorted(totals, key=lambda pid: -totals[pid])
        out: list[dict[str, object]] = []

        def label(
            kind: str,
            level: str,
            project_id: str,
            model: str | None,
            key_id: str | None,
            start: int,
            end: int | None,
            factor: float | None,
        ) -> None:
            out.append(
                {
                    "org_id": self.spec.org_id,
                    "kind": kind,
                    "level": level,
                    "project_id": project_id,
                    "model": model,
                    "api_key_id": key_id,
                    "start_date": day_to_date(start),
                    "end_date": None if end is None else day_to_date(end - 1),
                    "factor": factor,
                }
            )

        def pick(i: int) -> str:
            return ranked[i % len(ranked)]

        # a new, expensive model appears in a project and stays
        pid = pick(4)
        key = next(k for k in keys if k.project_id == pid and not k.deleted and k.access == "active")
        d = days.pop()
        self._completions(
            next(p for p in projects if p.id == pid),
            key,
            catalog.NEW_EXPENSIVE_MODEL,
            "default",
            False,
            1.0,
            base=rng.uniform(80, 200),
            start_day=d,
        )
        label("new_model", "project_model", pid, catalog.NEW_EXPENSIVE_MODEL, key.id, d, None, None)
        # spike on one project's top model
        pid = pick(0)
        by_model: dict[str, float] = {}
        for s in comp:
            if s.project_id == pid:
                by_model[str(s.dims["model"])] = (
                    by_model.get(str(s.dims["model"]), 0.0) + s.base * s.ratios[0]
                )
        model = max(sorted(by_model), key=lambda m: by_model[m])
        d = days.pop()
        for s in comp:
            if s.project_id == pid and s.dims["model"] == model:
                s.anomalies.append((d, d + 1, 6.0))
        label("spike", "project_model", pid, model, None, d, d + 1, 6.0)
        # drop: a whole project nearly stops for two days
        pid = pick(1)
        d = days.pop()
        for s in self.streams:
            if s.project_id == pid and s.profile != "level":
                s.anomalies.append((d, d + 2, 0.1))
        label("drop", "project", pid, None, None, d, d + 2, 0.1)
        # level shift on one key's traffic, ongoing
        key_streams = [s for s in comp if s.project_id == pick(2)]
        top = max(key_streams, key=lambda s: s.base * s.ratios[0])
        d = days.pop()
        for s in self.streams:
            if s.api_key_id == top.api_key_id:
                s.anomalies.append((d, None, 2.5))
        label("level_shift", "api_key", top.project_id, None, top.api_key_id, d, None, 2.5)
        # spike on one key
        key_streams = [s for s in comp if s.project_id == pick(3) and s.api_key_id != top.api_key_id]
        if key_streams:
            top2 = max(key_streams, key=lambda s: s.base * s.ratios[0])
            d = days.pop()
            for s in self.streams:
                if s.api_key_id == top2.api_key_id:
                    s.anomalies.append((d, d + 1, 8.0))
            label("spike", "api_key", top2.project_id, None, top2.api_key_id, d, d + 1, 8.0)
        return out


def build_organization(spec: OrganizationSpec, seed: int, first_day: int, anchor_day: int) -> Organization:
    return _Builder(spec, seed, first_day, anchor_day).build()
