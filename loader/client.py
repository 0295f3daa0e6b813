"""HTTP client for OpenAI's Admin API: GET only, one session per organization, retries, no key leaks.

Requests, retries and paging are dlt's (`dlt.sources.helpers.rest_client.RESTClient` on the
retrying session of `dlt.sources.helpers.requests.Client`). What is ours: which responses may be
retried (the response hook below, which runs inside dlt's retry), OpenAI's two cursors
(paginators), the per-organization deadline, and decoding bodies with Decimal, report pages one
bucket at a time (RESTClient.extract_response would parse a page whole, with floats).
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import requests
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.requests.retry import DEFAULT_RETRY_EXCEPTIONS
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.client import PageData
from dlt.sources.helpers.rest_client.paginators import BasePaginator, JSONResponseCursorPaginator
from requests.adapters import HTTPAdapter

from loader.settings import Organization, RetryPolicy

log = logging.getLogger(__name__)

Params = Mapping[str, Any]
Read = Callable[[requests.Response], str]
Decode = Callable[[requests.Response, str], None]

_SECRET_LIKE = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")
# What the response hook decoded, kept on the response for extract_response and the paginators.
_ITEMS, _FIELDS, _TEXT = "openai_finops_items", "openai_finops_fields", "openai_finops_text"


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


class _Retryable(requests.HTTPError):
    """A response a retry may cure. An HTTPError with its response, so dlt's retry honours Retry-After."""

    def __init__(self, reason: str, response: requests.Response) -> None:
        super().__init__(reason, response=response)
        self.reason = reason


class _DeadlinePassed(Exception):
    pass


def _mask(text: str, secret: str) -> str:
    """Remove the key, and anything shaped like a key, from text we did not write ourselves."""
    if secret:
        text = text.replace(secret, "***")
    return _SECRET_LIKE.sub(lambda match: f"sk-...{match.group(0)[-4:]}", text)


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        message = str(error.get("message") or "").strip()
    except (ValueError, AttributeError):
        message = ""
    return message or response.reason or "no message"


class _Transport(HTTPAdapter):
    """Every attempt, retries included, passes here: it is counted, and refused after the deadline."""

    def __init__(self, deadline_seconds: float) -> None:
        super().__init__()
        self.deadline = time.monotonic() + deadline_seconds
        self.requests_made = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if time.monotonic() > self.deadline:
            raise _DeadlinePassed
        self.requests_made += 1
        return super().send(request, *args, **kwargs)


class _DecodedPages(RESTClient):
    def extract_response(self, response: requests.Response, data_selector: Any) -> list[Any]:
        # The response hook has decoded the body already (with Decimal); report pages are streamed.
        return getattr(response, _ITEMS)


class NextPageCursor(BasePaginator):
    """OpenAI's report cursor: the next page is the identical query with `page=<next_page>`.

    Paging always ends, and ends only at the last page: `has_more` without a cursor, a cursor seen
    before, or more than `max_pages` pages raise InconsistentPaging, so the caller never takes a
    window cut short for a whole one.
    """

    def __init__(self, where: Callable[[], str], max_pages: int | None = None) -> None:
        super().__init__()
        self.where = where
        self.max_pages = max_pages
        self.pages = 0
        self.cursors: set[str] = set()
        self.next_page: str | None = None

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        self.pages += 1
        fields = getattr(response, _FIELDS)
        if fields.get("has_more") is not True:
            self._has_next_page = False
            return
        next_page = fields.get("next_page")
        if not isinstance(next_page, str) or not next_page:
            raise InconsistentPaging(f"{self.where()}: has_more is true but next_page is {next_page!r}")
        if next_page in self.cursors:
            raise InconsistentPaging(f"{self.where()}: next_page repeats a cursor already followed")
        if self.max_pages is not None and self.pages >= self.max_pages:
            raise InconsistentPaging(
                f"{self.where()}: still has_more after {self.pages} pages, more than the window holds"
            )
        self.cursors.add(next_page)
        self.next_page = next_page

    def update_request(self, request: requests.Request) -> None:
        if self._has_next_page:
            request.params["page"] = self.next_page


def _list_cursor() -> JSONResponseCursorPaginator:
    """Metadata lists: `after=<last_id>` while `has_more`."""
    return JSONResponseCursorPaginator(cursor_path="last_id", cursor_param="after", has_more_path="has_more")


class AdminApiClient:
    def __init__(self, organization: Organization, base_url: str, policy: RetryPolicy) -> None:
        self.organization = organization
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.retries = 0
        self._transport = _Transport(policy.organization_deadline)
        session = Client(
            request_timeout=(policy.connect_timeout, policy.read_timeout),
            raise_for_status=False,
            # Only what the response hook marks retryable, and failed connections; never 401/403,
            # another 4xx, or a 200 that is not JSON.
            status_codes=(),
            exceptions=(*DEFAULT_RETRY_EXCEPTIONS, _Retryable),
            request_max_attempts=policy.max_attempts,
            request_backoff_factor=policy.backoff_base * policy.sleep_scale,
            request_max_retry_delay=policy.backoff_cap * policy.sleep_scale,
            respect_retry_after_header=True,
        ).session
        session.mount("http://", self._transport)
        session.mount("https://", self._transport)
        self.session = session
        self._rest = _DecodedPages(
            self.base_url,
            headers={"Accept": "application/json", "User-Agent": "openai-finops-loader"},
            auth=BearerTokenAuth(organization.admin_key),
            session=session,
        )

    @property
    def requests_made(self) -> int:
        return self._transport.requests_made

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AdminApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _where(self, path: str, page: int) -> str:
        return f"organization {self.organization.label}: GET {path} page {page}"

    def iter_report_pages(
        self, path: str, params: Params, max_pages: int | None = None
    ) -> Iterator[tuple[int, Iterator[dict[str, Any]]]]:
        """Pages of a usage/costs report, each as an iterator of its buckets.

        A page is handed out only once its whole body has decoded (inside dlt's retry, so a body
        cut short is fetched again before any of its buckets is used), then decoded again one
        bucket at a time: as Python objects a 1h page of a large organization takes hundreds of MB.
        """
        pages = self._pages(
            path, params, lambda where: NextPageCursor(where, max_pages), _read_in_chunks, _check_report_page
        )
        for number, page in pages:
            yield number, _buckets(page.response)

    def iter_list(self, path: str, params: Params) -> Iterator[list[dict[str, Any]]]:
        """Items of a metadata list, page by page, following `after=last_id`."""
        for _, page in self._pages(path, params, lambda where: _list_cursor(), _read_whole, _check_list_page):
            yield list(page)

    def _pages(
        self,
        path: str,
        params: Params,
        paginator: Callable[[Callable[[], str]], BasePaginator],
        read: Read,
        decode: Decode,
    ) -> Iterator[tuple[int, PageData[Any]]]:
        number = 1

        def where() -> str:
            return self._where(path, number)

        def check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            try:
                self._check(response, where, read, decode)
            except _Retryable as retry:
                log.debug("%s: %s", where(), retry.reason)
                raise

        pages = self._rest.paginate(
            path,
            params=dict(params),
            paginator=paginator(where),
            data_selector="data",  # named, or dlt would parse the page whole to look for it
            hooks={"response": [check]},
            # The hook reads the body: a report page's bytes are never held whole next to its text.
            stream=True,
        )
        while True:
            sent = self.requests_made
            try:
                page = next(pages)
            except StopIteration:
                return
            except _Retryable as retry:
                raise RequestFailed(self._gave_up(where(), retry.reason)) from None
            except requests.RequestException as error:
                reason = f"{type(error).__name__}: {_mask(str(error), self.organization.admin_key)}"
                raise RequestFailed(self._gave_up(where(), reason)) from None
            except _DeadlinePassed:
                minutes = self.policy.organization_deadline / 60
                raise RequestFailed(
                    f"{where()}: the organization's deadline of {minutes:g} minutes has passed; "
                    "raise [sources.openai.http] organization_deadline_minutes if the API is just slow"
                ) from None
            finally:
                self.retries += max(0, self.requests_made - sent - 1)
            yield number, page
            number += 1

    def _gave_up(self, where: str, reason: str) -> str:
        return f"{where}: gave up after {self.policy.max_attempts} attempts: {reason}"

    def _check(
        self, response: requests.Response, where: Callable[[], str], read: Read, decode: Decode
    ) -> None:
        """dlt's response hook: raise _Retryable for what a retry may cure, a LoaderError otherwise."""
        if response.is_redirect:
            return
        key = self.organization.admin_key
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"{where()}: HTTP {status}: needs an Admin key with the api.usage.read scope "
                f"(key {self.organization.key_hint}): {_mask(_error_message(response), key)}"
            )
        if status == 429 or status >= 500:
            response.close()
            raise _Retryable("HTTP 429 (rate limited)" if status == 429 else f"HTTP {status}", response)
        if status != 200:
            raise RequestFailed(f"{where()}: HTTP {status}: {_mask(_error_message(response), key)}", status)
        content_type = response.headers.get("Content-Type", "")
        is_json = "json" in content_type.lower()
        text = read(response) if is_json else response.content.decode("utf-8", "replace")
        if not is_json or text.lstrip()[:1] == "<":
            # A body cut short in transit is retried; a page of HTML will not turn into JSON.
            raise NotJson(
                f"{where()}: HTTP 200 but Content-Type {content_type or 'missing'!r}, not JSON; "
                f"body starts {_mask(text[:120], key)!r}. Check OPENAI_BASE_URL "
                f"(now {self.base_url}) and any proxy between here and OpenAI.",
                status,
            )
        decode(response, text)


def _read_whole(response: requests.Response) -> str:
    try:
        return response.content.decode()
    except UnicodeDecodeError as error:
        raise _Retryable(f"malformed JSON body ({type(error).__name__})", response) from None


def _read_in_chunks(response: requests.Response) -> str:
    """The body as text, decoded chunk by chunk: its bytes are never held whole next to it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        parts = [decoder.decode(chunk) for chunk in response.iter_content(1 << 20)]
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError as error:
        raise _Retryable(f"malformed JSON body ({type(error).__name__})", response) from None
    return "".join(parts)


def _check_list_page(response: requests.Response, text: str) -> None:
    try:
        payload = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise _Retryable(f"malformed JSON body ({type(error).__name__})", response) from None
    if not (isinstance(payload, dict) and isinstance(payload.get("data"), list) and "has_more" in payload):
        raise _Retryable("unexpected response shape", response)
    setattr(response, _ITEMS, [item for item in payload["data"] if isinstance(item, dict)])


def _check_report_page(response: requests.Response, text: str) -> None:
    """Decode the whole page once, keeping nothing but its top-level fields, before handing it out."""
    fields: dict[str, Any] = {}
    try:
        for _ in _stream_page(text, fields):
            pass
    except _Malformed as error:
        raise _Retryable(str(error), response) from None
    if "has_more" not in fields:
        raise _Retryable("unexpected response shape", response)
    setattr(response, _FIELDS, fields)
    setattr(response, _ITEMS, [])
    setattr(response, _TEXT, text)


def _buckets(response: requests.Response) -> Iterator[dict[str, Any]]:
    text = getattr(response, _TEXT)
    delattr(response, _TEXT)  # the page's text lives as long as its buckets are read, no longer
    yield from _stream_page(text, {})


class _Malformed(Exception):
    pass


# Decimal, never float: costs must stay exact to the last digit OpenAI sends.
_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _stream_page(text: str, fields: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The buckets of a report page, decoded one at a time; its other fields go into `fields`.

    The C JSON scanner decodes each bucket; only the page's top level is walked here.
    """
    try:
        position = _expect(text, 0, "{")
        while text[position] != "}":
            name, position = _DECODER.raw_decode(text, position)
            position = _expect(text, _skip(text, position), ":")
            if name == "data":
                position = _expect(text, position, "[")
                while text[position] != "]":
                    bucket, position = _DECODER.raw_decode(text, position)
                    if not _is_bucket(bucket):
                        raise _Malformed("unexpected response shape")
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
            raise _Malformed("unexpected response shape")
    except (ValueError, IndexError) as error:
        raise _Malformed(f"malformed JSON body ({type(error).__name__})") from None


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
