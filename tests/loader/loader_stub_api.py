"""A tiny stand-in for the costs endpoint, for edge cases the simulator does not produce on demand."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

DAY = 86_400


class CostsStub:
    """Serves /v1/organization/costs from `days` (bucket start -> JSON text of its results)."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.missing: set[int] = set()  # buckets left out of the response entirely
        self.windows: list[tuple[int, int]] = []  # (start_time, end_time) of every costs query
        self.failing_from: int | None = None  # queries starting at or after this get HTTP 500

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        start, end = int(query["start_time"][0]), int(query["end_time"][0])
        self.windows.append((start, end))
        buckets = []
        for bucket_start in range(start, end, DAY):
            if bucket_start in self.missing:
                continue
            results = self.days.get(bucket_start, "[]")
            buckets.append(
                f'{{"object": "bucket", "start_time": {bucket_start}, '
                f'"end_time": {min(bucket_start + DAY, end)}, "results": {results}}}'
            )
        return {
            "raw": '{"object": "page", "data": ['
            + ", ".join(buckets)
            + '], "has_more": false, "next_page": null}'
        }


@contextmanager
def serve_costs(stub: CostsStub) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            status = 200
            if url.path == "/v1/organization/costs":
                query = parse_qs(url.query)
                body = stub.page(query)["raw"]
                if stub.failing_from is not None and int(query["start_time"][0]) >= stub.failing_from:
                    status, body = 500, '{"error": {"message": "server error"}}'

            elif url.path.startswith("/v1/organization/usage/"):
                body = '{"object": "page", "data": [], "has_more": false, "next_page": null}'
            else:
                body = json.dumps({"object": "list", "data": [], "has_more": False})
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
