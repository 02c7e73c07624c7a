"""Articles from the web: one GET with a timeout, a size cap and a content-type check.

``fetch(url)`` returns the page as text (decoded by the charset its ``Content-Type`` header or
its ``<meta>`` declares) and the URL it ended at; ``read_article`` then finds its main text and
metadata like any other input. Every failure is one ``FetchError`` (an ``InputError``) naming
the URL and the reason:

* not an http(s) URL, or one that cannot be parsed;
* no connection (unknown host, refused, TLS failure) or a broken answer;
* no answer within ``timeout`` seconds (connecting, or reading the whole page);
* an HTTP error status (4xx, 5xx: ``status_code``), or more than ``MAX_REDIRECTS`` redirects;
* a body larger than ``max_bytes`` (read as a stream and abandoned past the cap, so a huge or
  endless answer costs at most the cap);
* a content type other than HTML, XHTML or plain text (a PDF, an image, JSON).

Nothing is retried: a batch records the failure as that item's error and goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx2

from summarize.errors import FetchError
from summarize.text import decode_bytes

__all__ = ["ACCEPTED_TYPES", "MAX_BYTES", "MAX_REDIRECTS", "TIMEOUT", "Page", "fetch", "is_url"]

TIMEOUT = 20.0  # seconds, for the whole page
MAX_BYTES = 10_000_000  # a news page is well under 1 MB; its text is refused past 2M characters
MAX_REDIRECTS = 5
ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "summarize (news briefings; one page per request)"


@dataclass(frozen=True)
class Page:
    """A fetched page: ``url`` is where it ended after redirects."""

    url: str
    text: str
    content_type: str


def is_url(source: str) -> bool:
    """True for what ``fetch`` takes: an http:// or https:// address."""
    return source.strip().lower().startswith(("http://", "https://"))


def fetch(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Page:
    """The page at ``url`` as text, or ``FetchError`` saying why not."""
    url = url.strip()
    if not is_url(url):
        raise FetchError(url, "not an http:// or https:// URL")
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx2.Client(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9",
                },
            ) as client,
            client.stream("GET", url) as response,
        ):
            _check(url, response, max_bytes)
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > max_bytes:
                    raise FetchError(url, f"the page is larger than {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise httpx2.ReadTimeout("the page took too long", request=response.request)
            final_url, charset = str(response.url), response.charset_encoding
            content_type = _media_type(response)
    except httpx2.TimeoutException:
        raise FetchError(url, f"no complete answer within {timeout:g} s") from None
    except httpx2.TooManyRedirects:
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects") from None
    except (httpx2.ConnectError, httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
        raise FetchError(url, f"cannot connect: {_reason(exc)}") from None
    except httpx2.HTTPError as exc:  # a dropped connection, a broken answer
        raise FetchError(url, f"the answer broke off: {_reason(exc)}") from None
    return Page(url=final_url, text=decode_bytes(bytes(body), charset), content_type=content_type)


def _check(url: str, response: httpx2.Response, max_bytes: int) -> None:
    """Refuse before reading the body: an error status, a type that is not a page, a size
    announced over the cap."""
    if response.status_code >= 400:
        raise FetchError(
            url,
            f"HTTP {response.status_code} {response.reason_phrase}".rstrip(),
            status_code=response.status_code,
        )
    media_type = _media_type(response)
    # No Content-Type at all: the body is checked as any article is (binary data is refused).
    if media_type and media_type not in ACCEPTED_TYPES:
        raise FetchError(
            url, f"the content type is {media_type}, not a page (HTML, XHTML or plain text)"
        )
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(url, f"the page is {int(length):,} bytes, over the {max_bytes:,} limit")


def _media_type(response: httpx2.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
