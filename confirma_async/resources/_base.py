"""What every resource shares: the transport, the client's wire aliases and the POST-answer rule.

A 2xx answer to a POST is a success whatever its body (assumption A37): the result model is
decoded leniently from a JSON object, left with every field ``None`` for anything else (empty, not
JSON, another shape), and always keeps the answer in ``raw_body``. A surprise is logged as a
warning (``confirma_unexpected_answer``, once per endpoint and kind, then at debug level), naming
keys and never values, since an answer may hold a secret.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import Any, TypeVar

from .._core.checks import ExtraHeaders, ExtraQuery, check_headers, with_query
from .._core.responses import RawAnswer, decode_body
from ..models._aliases import WireAliases
from ..models._convert import from_wire, to_wire
from ..pagination.pager import AsyncPager, PagerOptions
from ..pagination.pages import WindowFetch
from ..transport import Transport

T = TypeVar("T")


class Resource:
    """Base of ``client.invoices`` and friends: GETs decoded with aliases, POSTs as results."""

    def __init__(self, transport: Transport, aliases: WireAliases) -> None:
        self._transport = transport
        self._aliases = aliases
        self._warned: set[tuple[str, str]] = set()

    @staticmethod
    def _pager(
        fetch: WindowFetch[T],
        start: date,
        end: date,
        *,
        key: Callable[[T], Hashable],
        source: str,
        options: PagerOptions,
    ) -> AsyncPager[T]:
        """The pager of a listing method: its fetch, range and key, and the caller's options."""
        return AsyncPager(fetch, start=start, end=end, key=key, source=source, **options)

    def _span(self, name: str, attributes: Mapping[str, Any]) -> AbstractContextManager[Any]:
        """A tracing span around work of the client's own (nothing unless tracing is on)."""
        return self._transport.span(name, attributes)

    def _decode(self, data: Any, cls: type[T]) -> T:
        return from_wire(data, cls, self._aliases)  # an empty alias set costs nothing

    async def _get(
        self,
        path: str,
        params: dict[str, str] | None,
        extra_headers: ExtraHeaders,
        extra_query: ExtraQuery,
        *,
        decode: Callable[[bytes], Any] | None = None,
        changes_state: bool = False,
    ) -> Any:
        """``GET path`` with the call's extras; the decoded JSON body (``None`` for 204/empty).

        ``decode`` turns the 2xx body's bytes into the result itself (a fast typed decoder).
        ``changes_state``: the read changes what the server returns next (``unfetchedOnly``), so
        it is re-sent only when the failure proves it was not applied, as a POST is (A6b, A13).
        """
        return await self._transport.request(
            "GET",
            path,
            params=with_query(params, extra_query),
            headers=check_headers(extra_headers),
            decode=decode,
            idempotent=False if changes_state else None,
        )

    async def _post(
        self,
        path: str,
        body: Any,
        cls: type[T],
        extra_headers: ExtraHeaders,
        extra_query: ExtraQuery,
        *,
        api_key: str | None = None,
    ) -> tuple[T, RawAnswer]:
        """``POST path`` with a request model; any 2xx answer becomes a ``cls`` result.

        Returns the result and the raw answer (its status and headers). One await layer only:
        ``Invoices.create``, the bulk hot path, calls the transport the same way inline.
        """
        answer: RawAnswer = await self._transport.request(
            "POST",
            path,
            params=with_query(None, extra_query) if extra_query is not None else None,
            json=to_wire(body),
            idempotent=False,
            api_key=api_key,
            headers=check_headers(extra_headers) if extra_headers is not None else None,
            raw=True,
        )
        return self._post_result(answer, cls, path), answer

    def _post_result(self, answer: RawAnswer, cls: type[T], path: str) -> T:
        data = decode_body(answer.body) if answer.problem is None else None
        problem = answer.problem
        result: T | None = None
        if isinstance(data, Mapping):
            try:
                result = self._decode(data, cls)
            except Exception as exc:  # only a documented field could fail; there are none
                problem = f"the answer did not decode ({type(exc).__name__})"
            else:
                unknown = getattr(result, "extra", None)
                if unknown:
                    problem = f"keys the client does not know: {', '.join(sorted(unknown))}"
        elif problem is None:
            if data is None:
                problem = "an empty body"
            elif isinstance(data, str):
                problem = "a body that is not JSON"
            else:
                problem = f"a JSON {type(data).__name__}, not an object"
        if result is None:
            result = cls()
        object.__setattr__(result, "raw_body", answer.body)
        if problem is not None:
            self._warn(path, answer.status, problem)
        return result

    def _warn(self, path: str, status: int, problem: str) -> None:
        key = (path, problem.partition(":")[0])
        log = self._transport.logger
        emit = log.debug if key in self._warned else log.warning
        self._warned.add(key)
        emit(
            "confirma_unexpected_answer",
            method="POST",
            path=path,
            status=status,
            problem=problem,
            outcome="applied: returned as a result, the body is in raw_body",
        )
