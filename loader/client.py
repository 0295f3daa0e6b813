"""HTTP client for OpenAI's Admin API: GET only, one session per organization, retries, no key leaks."""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import requests

from loader.settings import Organization, RetryPolicy

log = logging.getLogger(__name__)

Params = Mapping[str, Any]

_SECRET_LIKE = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


class LoaderError(Exception):
    """A failure the run reports per organization; its message never contains a key."""


class AuthError(LoaderError):
    """401/403: the key is wrong or lacks the scope; retrying cannot help."""


class RequestFailed(LoaderError):
    """A request failed for good (after retries, or a non-retryable status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InconsistentPaging(RequestFailed):
    """A report's pages contradict themselves; the window read so far is not the whole window."""


class NotJson(RequestFailed):
    """A 200 that is not JSON: a sign-in page, a proxy, a wrong base URL. Retrying cannot help."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _mask(text: str, secret: str) -> str:
    """Remove the key, and anything shaped like a key, from text we did not write ourselves."""
    if secret:
        text = text.replace(secret, "***")
    return _SECRET_LIKE.sub(lambda match: f"sk-...{match.group(0)[-4:]}", text)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: fall back to our own backoff


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        message = str(error.get("message") or "").strip()
    except (ValueError, AttributeError):
        message = ""
    return message or response.reason or "no message"


class AdminApiClient:
    def __init__(self, organization: Organization, base_url: str, policy: RetryPolicy) -> None:
        self.organization = organization
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {organization.admin_key}",
                "Accept": "application/json",
                "User-Agent": "openai-finops-loader",
            }
        )
        self.requests_made = 0
        self.retries = 0
        self._deadline = time.monotonic() + policy.organization_deadline

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AdminApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _where(self, path: str, page: int) -> str:
        return f"organization {self.organization.label}: GET {path} page {page}"

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        backoff = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
        delay = random.uniform(backoff / 2, backoff)  # jitter spreads out parallel retries
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.policy.backoff_cap))
        time.sleep(delay * self.policy.sleep_scale)

    def get_json(
        self, path: str, params: Params, page: int, validate: Callable[[Any], bool]
    ) -> dict[str, Any]:
        """GET one page; retry 429/5xx/connection errors/malformed bodies with capped backoff."""
        where = self._where(path, page)
        for attempt in itertools.count(1):
            try:
                payload = _parse_json(self._get_body(path, params, where))
                if not isinstance(payload, dict) or not validate(payload):
                    raise _Retryable("unexpected response shape")
                return payload
            except _Retryable as retry:
                self._back_off(where, attempt, retry)  # raises after the last attempt
        raise AssertionError("itertools.count never ends")

    def _back_off(self, where: str, attempt: int, retry: _Retryable) -> None:
        """Sleep before the next attempt, or give up with the last reason after the last one."""
        if attempt >= self.policy.max_attempts:
            raise RequestFailed(f"{where}: gave up after {self.policy.max_attempts} attempts: {retry.reason}")
        log.debug("%s: %s; retry %d", where, retry.reason, attempt)
        self.retries += 1
        self._sleep(attempt, retry.retry_after)

    def _get_body(self, path: str, params: Params, where: str) -> bytes:
        """One GET: the body of a 200; _Retryable for what a retry may cure, errors otherwise."""
        if time.monotonic() > self._deadline:
            minutes = self.policy.organization_deadline / 60
            raise RequestFailed(
                f"{where}: the organization's deadline of {minutes:g} minutes has passed; "
                "raise [sources.openai.http] organization_deadline_minutes if the API is just slow"
            )
        self.requests_made += 1
        try:
            response = self.session.get(
                self.base_url + path,
                params=params,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            )
            body = response.content
        except requests.RequestException as error:
            # Covers refused/reset connections, timeouts and bodies cut short mid-transfer.
            raise _Retryable(
                f"{type(error).__name__}: {_mask(str(error), self.organization.admin_key)}"
            ) from None
        key = self.organization.admin_key
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"{where}: HTTP {status}: needs an Admin key with the api.usage.read scope "
                f"(key {self.organization.key_hint}): {_mask(_error_message(response), key)}"
            )
        if status == 429:
            raise _Retryable("HTTP 429 (rate limited)", _retry_after_seconds(response))
        if status >= 500:
            raise _Retryable(f"HTTP {status}", _retry_after_seconds(response))
        if status != 200:
            raise RequestFailed(f"{where}: HTTP {status}: {_mask(_error_message(response), key)}", status)
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type.lower() or body.lstrip()[:1] == b"<":
            # A body cut short in transit is retried; a page of HTML will not turn into JSON.
            first_bytes = body[:120].decode("utf-8", "replace")
            raise NotJson(
                f"{where}: HTTP 200 but Content-Type {content_type or 'missing'!r}, not JSON; "
                f"body starts {_mask(first_bytes, key)!r}. Check OPENAI_BASE_URL "
                f"(now {self.base_url}) and any proxy between here and OpenAI.",
                status,
            )
        return body

    def iter_report_pages(
        self, path: str, params: Params, max_pages: int | None = None
    ) -> Iterator[tuple[int, Iterator[dict[str, Any]]]]:
        """Pages of a usage/costs report, each as an iterator of its buckets.

        `next_page` is followed with the identical query. A page is parsed one bucket at a time and
        never held whole: as Python objects a 1h page of a large organization takes hundreds of MB.
        A body found malformed part-way is fetched again and resumes after the buckets already
        handed out. Read a page's buckets before asking for the next page.

        Paging always ends, and ends only at the last page: `has_more` without a cursor, a cursor
        seen before, or more than `max_pages` pages raise InconsistentPaging, so the caller never
        takes a window cut short for a whole one.
        """
        page_number = 1
        query = dict(params)
        cursors: set[str] = set()
        while True:
            trailer: dict[str, Any] = {}
            buckets = self._report_buckets(path, query, page_number, trailer)
            yield page_number, buckets
            for _ in buckets:  # whatever the caller left unread: the trailer comes after them
                pass
            if trailer.get("has_more") is not True:
                return
            where = self._where(path, page_number)
            next_page = trailer.get("next_page")
            if not isinstance(next_page, str) or not next_page:
                raise InconsistentPaging(f"{where}: has_more is true but next_page is {next_page!r}")
            if next_page in cursors:
                raise InconsistentPaging(f"{where}: next_page repeats a cursor already followed")
            if max_pages is not None and page_number >= max_pages:
                raise InconsistentPaging(
                    f"{where}: still has_more after {page_number} pages, more than the window holds"
                )
            cursors.add(next_page)
            query = {**params, "page": next_page}
            page_number += 1

    def _report_buckets(
        self, path: str, params: Params, page: int, trailer: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        where = self._where(path, page)
        handed_out: set[int] = set()
        for attempt in itertools.count(1):
            try:
                fields: dict[str, Any] = {}
                for bucket in _stream_page(self._get_body(path, params, where), fields):
                    if bucket["start_time"] not in handed_out:
                        handed_out.add(bucket["start_time"])
                        yield bucket
                if "has_more" not in fields:
                    raise _Retryable("unexpected response shape")
                trailer.update(fields)
                return
            except _Retryable as retry:
                self._back_off(where, attempt, retry)

    def iter_list(self, path: str, params: Params) -> Iterator[list[dict[str, Any]]]:
        """Items of a metadata list, page by page, following `after=last_id`."""
        page_number = 1
        query = dict(params)
        while True:
            payload = self.get_json(path, query, page_number, _is_list_page)
            items = [item for item in payload["data"] if isinstance(item, dict)]
            yield items
            last_id = payload.get("last_id") or (items[-1].get("id") if items else None)
            if not payload.get("has_more") or not last_id:
                return
            query = {**params, "after": last_id}
            page_number += 1


# Decimal, never float: costs must stay exact to the last digit OpenAI sends.
_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise _Retryable(f"malformed JSON body ({type(error).__name__})") from None


def _stream_page(body: bytes, fields: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The buckets of a report page, decoded one at a time; its other fields go into `fields`.

    The C JSON scanner decodes each bucket; only the page's top level is walked here.
    """
    try:
        text = body.decode()
        del body
        position = _expect(text, 0, "{")
        while text[position] != "}":
            name, position = _DECODER.raw_decode(text, position)
            position = _expect(text, _skip(text, position), ":")
            if name == "data":
                position = _expect(text, position, "[")
                while text[position] != "]":
                    bucket, position = _DECODER.raw_decode(text, position)
                    if not _is_bucket(bucket):
                        raise _Retryable("unexpected response shape")
                    yield bucket
                    position = _skip(text, position)
                    if text[position] == ",":
                        position = _skip(text, position + 1)
                position = _skip(text, position + 1)
                fields["data"] = True
            else:
                fields[name], position = _DECODER.raw_decode(text, position)
                position = _skip(text, position)
            if text[position] == ",":
                position = _skip(text, position + 1)
        if _skip(text, position + 1) != len(text) or "data" not in fields:
            raise _Retryable("unexpected response shape")
    except (ValueError, IndexError, UnicodeDecodeError) as error:
        raise _Retryable(f"malformed JSON body ({type(error).__name__})") from None


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _expect(text: str, position: int, token: str) -> int:
    position = _skip(text, position)
    if text[position] != token:
        raise ValueError(f"expected {token!r} at {position}")
    return _skip(text, position + 1)


def _is_bucket(bucket: Any) -> bool:
    return (
        isinstance(bucket, dict)
        and isinstance(bucket.get("start_time"), int)
        and isinstance(bucket.get("end_time"), int)
        and isinstance(bucket.get("results", []), list)
    )


def _is_list_page(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("data"), list) and "has_more" in payload
