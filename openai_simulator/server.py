"""HTTP front end: the Admin API routes on a ThreadingHTTPServer bound to loopback."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from openai_simulator import catalog, metadata
from openai_simulator.errors import ApiError
from openai_simulator.faults import FaultDecision
from openai_simulator.jsonbody import dumps
from openai_simulator.query import Query
from openai_simulator.simulator import Simulator
from openai_simulator.world import Organization

logger = logging.getLogger(__name__)

_PROJECT_SUB = re.compile(r"^/v1/organization/projects/([^/]+)/(api_keys|service_accounts|users)$")
_SIGN_IN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in - Corporate Access</title></head>"
    b'<body><form action="/login">Your session has expired. Please sign in.</form></body></html>'
)
_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, list[str]]  # as sent, e.g. {"group_by[]": ["model"]}
    status: int
    org_id: str | None


def _redact(key: str) -> str:
    return f"sk-...{key[-4:]}" if len(key) >= 12 else "***"


class _App:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._counter = 0

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            h.rfile.read(length)  # drain it, or the next request on this keep-alive connection is garbage
        parts = urlsplit(h.path)
        path, raw = parts.path.rstrip("/"), parse_qs(parts.query, keep_blank_values=True)
        headers: dict[str, str] = {"Content-Type": "application/json"}
        org: Organization | None = None
        try:
            if method != "GET":
                raise ApiError(
                    405,
                    f"Method {method} not allowed for {path}; this endpoint supports GET only.",
                    code="method_not_allowed",
                    headers={"Allow": "GET"},
                )
            if path == "/v1/_simulator/anomalies":
                status, body = 200, dumps({"object": "list", "data": self._anomalies(h)})
            elif not path.startswith("/v1/organization/"):
                raise ApiError(404, f"Invalid URL ({method} {path})")
            else:
                org = self._authenticate(h, path)
                headers["openai-organization"] = org.org_id
                status, body = self._serve(org, path, raw, headers)
        except ApiError as e:
            status, body = e.status, dumps(e.body())
            headers.update(e.headers)
        except Exception:
            logger.exception("simulator error on %s", h.path)
            status = 500
            error = ApiError(
                500, "The server had an error while processing your request.", type="server_error"
            )
            body = dumps(error.body())
        with self._lock:
            self._counter += 1
            headers["x-request-id"] = f"req_sim_{self._counter:08d}"
            self.requests.append(RequestRecord(method, path, raw, status, org.org_id if org else None))
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(body)

    def _serve(
        self, org: Organization, path: str, raw: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """An authenticated request: injected faults first, then the endpoint."""
        query_text = "&".join(f"{name}={value}" for name, values in raw.items() for value in values)
        fault = self.sim.faults.decide(path, query_text)
        kind = fault.kind if fault is not None else None
        if fault is not None and kind in ("429", "500", "502", "503", "html", "400", "404"):
            return self._fault_response(fault, headers)
        if fault is not None and kind == "slow":
            time.sleep(fault.seconds)
        if kind == "repeat_cursor":  # a proxy that caches the first page: the cursor is ignored
            raw = {name: values for name, values in raw.items() if name != "page"}
        payload = self._dispatch(org, path, Query(raw, scope=path))
        if kind == "no_cursor":  # a page cut short that says there is more, with no way to get it
            data = payload.get("data") or []
            payload.update(data=data[: max(1, len(data) // 2)], has_more=True, next_page=None)  # type: ignore[arg-type]
        elif kind == "repeat_cursor":
            payload.update(has_more=True, next_page=payload.get("next_page") or "page_cached_by_proxy")
        elif kind == "poison":
            _poison_first_value(payload)
        body = dumps(payload)
        if kind == "truncated":
            body = body[: max(1, len(body) * 2 // 3)]
        elif kind == "malformed":
            body = body.replace(b":", b"=", 1) + b"\n<!-- upstream -->"
        return 200, body

    def _authenticate(self, h: BaseHTTPRequestHandler, path: str) -> Organization:
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = auth[7:].strip()
        org = self.sim.org_for_key(key)
        if org is not None:
            return org
        if key.startswith(("sk-proj-", "sk-svcacct-")):  # project and service-account keys lack the scope
            scope = (
                "api.usage.read" if ("/usage/" in path or path.endswith("/costs")) else "api.management.read"
            )
            raise ApiError(
                403,
                f"You have insufficient permissions for this operation. Missing scopes: {scope}. "
                "Check that you have the correct role in your organization (Reader, Writer, Owner) and "
                "project (Member, Owner), and if you're using a restricted API key, that it has the "
                "necessary scopes.",
            )
        raise ApiError(
            401,
            f"Incorrect API key provided: {_redact(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    def _fault_response(self, fault: FaultDecision, headers: dict[str, str]) -> tuple[int, bytes]:
        if fault.kind == "429":
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            err = ApiError(
                429,
                "Rate limit reached for requests. Please try again later.",
                type="requests",
                code="rate_limit_exceeded",
            )
        elif fault.kind == "502":
            headers["Content-Type"] = "text/html"
            return 502, _BAD_GATEWAY
        elif fault.kind == "html":
            headers["Content-Type"] = "text/html; charset=utf-8"
            return 200, _SIGN_IN_PAGE
        elif fault.kind == "400":
            err = ApiError(
                400,
                "Grouping by api_key_id is not supported for this organization.",
                param="group_by",
            )
        elif fault.kind == "404":
            err = ApiError(404, "Invalid URL (GET this endpoint is not available to your organization)")
        elif fault.kind == "503":
            err = ApiError(
                503, "The engine is currently overloaded, please try again later.", type="server_error"
            )
        else:
            err = ApiError(
                500,
                "The server had an error while processing your request. Sorry about that!",
                type="server_error",
            )
        return err.status, dumps(err.body())

    def _dispatch(self, org: Organization, path: str, q: Query) -> dict[str, object]:
        sim, now = self.sim, self.sim.now_ts
        rest = path.removeprefix("/v1/organization/")
        if rest.startswith("usage/") and rest[6:] in catalog.ENDPOINTS:
            return sim.reports.usage(org, rest[6:], q, now)
        if rest == "costs":
            return sim.reports.costs_report(org, q, now)
        if rest == "projects":
            return metadata.projects(org, q)
        if rest == "users":
            return metadata.users(org, q)
        if rest == "admin_api_keys":
            return metadata.admin_keys(org, q)
        m = _PROJECT_SUB.match(path)
        if m:
            project_id, what = m.groups()
            if what == "api_keys":
                return metadata.api_keys(org, project_id, q, sim.key_last_used(org))
            if what == "service_accounts":
                return metadata.service_accounts(org, project_id, q)
            return metadata.project_users(org, project_id, q)
        raise ApiError(404, f"Invalid URL (GET {path})")

    def _anomalies(self, h: BaseHTTPRequestHandler) -> list[dict[str, object]]:
        auth = h.headers.get("Authorization", "")
        org = self.sim.org_for_key(auth[7:].strip()) if auth.startswith("Bearer ") else None
        return [
            {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in a.items()}
            for a in self.sim.labelled_anomalies()
            if org is None or a["org_id"] == org.org_id
        ]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; with Nagle on, keep-alive clients stall ~40 ms each
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self.server.app.handle(self, "GET")

    def _not_allowed(self) -> None:
        self.server.app.handle(self, self.command)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: _App) -> None:
        self.app = app
        super().__init__(address, _Handler)


class SimulatorServer:
    """A running HTTP server for a Simulator (see `serve`)."""

    def __init__(self, sim: Simulator, port: int = 0, host: str = "127.0.0.1") -> None:
        self.sim = sim
        self._app = _App(sim)
        self._server = _Server((host, port), self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="openai-simulator", daemon=True
        )

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far, in completion order (the live list; `.clear()` is fine)."""
        return self._app.requests

    def start(self) -> SimulatorServer:
        self._thread.start()
        logger.info("simulator serving on %s", self.base_url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def serve(sim: Simulator, port: int = 0, host: str = "127.0.0.1") -> Iterator[SimulatorServer]:
    """Serve `sim` on 127.0.0.1 (a free port unless `port` is given) in a daemon thread."""
    server = SimulatorServer(sim, port, host).start()
    try:
        yield server
    finally:
        server.stop()


def _poison_first_value(payload: dict[str, object]) -> None:
    """Make the page's first cost amount, or first usage count, "NaN": valid JSON, no number."""
    for bucket in payload.get("data") or []:  # type: ignore[attr-defined]
        for result in bucket.get("results") or []:
            if isinstance(result.get("amount"), dict):
                result["amount"]["value"] = "NaN"
                return
            for name, value in result.items():
                if type(value) is int:
                    result[name] = "NaN"
                    return
