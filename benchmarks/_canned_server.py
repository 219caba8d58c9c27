"""A canned HTTP/1.1 server for benchmarks: every request gets the same ``201`` JSON answer.

It parses only what it must (header end, ``Content-Length``) and does no other work, so a client
driving it is limited by its own CPU: what the client spends per request is what the comparison
shows. Run as a script it prints its port, then serves until killed (keep-alive, pipelining-safe).
"""

from __future__ import annotations

import asyncio

BODY = b'{"invoiceNumber":1,"status":"RECEIVED","receivedAt":"2026-01-05T09:00:00.000Z"}'
ANSWER = (
    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
) + BODY


class CannedProtocol(asyncio.Protocol):
    """Answers each complete request (headers plus ``Content-Length`` bytes) with ``ANSWER``."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        answers = 0
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length :]
            answers += 1
        self.buffer = buffer
        if answers and self.transport is not None:
            self.transport.write(ANSWER * answers)


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(CannedProtocol, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
