"""The headers of a request: built once per token, the call's extras merged case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping

from multidict import CIMultiDict

__all__ = ["RequestHeaders", "merged_headers"]


class RequestHeaders:
    """Header dicts shared by the requests with one token (aiohttp copies them, never changes them).

    ``Accept`` and ``User-Agent`` always, the API key header, ``Content-Type`` with a body; a call's
    ``extra_headers`` replace any header of the same name, whatever its case.
    """

    def __init__(self, user_agent: str, extra: Mapping[str, str] | None = None) -> None:
        # ``extra``: a with_options view's headers, sent with each of its requests.
        static = {"Accept": "application/json", "User-Agent": user_agent}
        self._static = dict(merged_headers(static, extra).items())
        self._cache: dict[tuple[str, str, bool], dict[str, str]] = {}

    def get(
        self,
        header: str,
        token: str,
        body: bytes | None,
        extra: Mapping[str, str] | None = None,
    ) -> Mapping[str, str]:
        """The headers to send ``token`` in ``header`` (with a body or not), plus ``extra``."""
        key = (header, token, body is not None)
        headers = self._cache.get(key)
        if headers is None:
            if len(self._cache) > 8:  # old tokens: forget them
                self._cache.clear()
            headers = {**self._static, header: token}
            if body is not None:
                headers["Content-Type"] = "application/json"
            self._cache[key] = headers
        if not extra:  # inlined: no call on the hot path
            return headers
        return merged_headers(headers, extra)


def merged_headers(base: Mapping[str, str], extra: Mapping[str, str] | None) -> Mapping[str, str]:
    """``base`` with ``extra`` over it, names compared without case (``base`` if no ``extra``)."""
    if not extra:
        return base
    merged = CIMultiDict(base)
    for name, value in extra.items():
        merged[name] = value
    return merged
