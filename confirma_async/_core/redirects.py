"""Which redirects the transport follows: same origin only, and never one that changes a POST.

Redirects are off by default (``ClientConfig.follow_redirects``). aiohttp's own following would
strip ``Authorization`` on a cross-origin hop but not ``X-Api-Key``, so the transport never lets
aiohttp follow: it asks :func:`redirect_target` and re-sends itself, to the same origin only.
"""

from __future__ import annotations

from yarl import URL

MAX_HOPS = 5
_ANY_METHOD = frozenset({307, 308})  # method and body are kept: safe to repeat a POST there
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_FOR_SAFE_METHODS = frozenset({301, 302, 303, 307, 308})


def redirect_target(url: URL, method: str, status: int, location: str | None) -> URL | None:
    """The URL to re-send ``method`` to after a ``status`` redirect, or ``None`` to stop there.

    ``None`` when there is no ``Location``, when it points to another origin (scheme, host, port:
    the API key must not go there), or when following would change the request (a 301/302/303 to
    a POST turns it into a GET).
    """
    if location is None:
        return None
    allowed = _FOR_SAFE_METHODS if method in _SAFE_METHODS else _ANY_METHOD
    if status not in allowed:
        return None
    try:
        target = url.join(URL(location))
    except ValueError:
        return None
    if target.origin() != url.origin():
        return None
    return target
