"""Answers a hostile or broken server gives, for the fixture servers on 127.0.0.1
(arxiv_server.py, openai_server.py): each function returns an `Answer`, which writes a whole
HTTP response, byte by byte if need be, straight onto a request handler's socket.

`dribble` sends one byte a second (its status line and headers too); `huge` streams an
answer of any size without holding it; `gzip_bomb` is a small gzip body that inflates to
`inflated` bytes; `redirect` points elsewhere; `body` is any bytes as they are.
"""
from __future__ import annotations

import threading
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Callable, Iterable

Answer = Callable[[BaseHTTPRequestHandler], None]
#: Set when the tests end, so that dribbling threads stop.
STOP = threading.Event()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Moved'}"]
    lines += [f"{k}: {v}" for k, v in {"Connection": "close", **headers}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _send(handler: BaseHTTPRequestHandler, parts: Iterable[bytes], pause: float = 0.0) -> None:
    handler.close_connection = True
    try:
        for part in parts:
            if STOP.is_set():
                return
            handler.wfile.write(part)
            handler.wfile.flush()
            if pause:
                STOP.wait(pause)
    except (BrokenPipeError, ConnectionResetError):
        pass   # the client hung up: that is what the tests want


def body(data: bytes, content_type: str = "application/xml", status: int = 200) -> Answer:
    """`data` as the whole answer."""
    return lambda handler: _send(handler, [_head(status, {"Content-Type": content_type,
                                                          "Content-Length": str(len(data))}), data])


def dribble(data: bytes, content_type: str = "application/xml", interval: float = 1.0) -> Answer:
    """`data` at one byte every `interval` seconds, the status line and headers included."""
    whole = _head(200, {"Content-Type": content_type, "Content-Length": str(len(data))}) + data
    return lambda handler: _send(handler, (whole[i:i + 1] for i in range(len(whole))), interval)


def huge(size: int, content_type: str = "application/xml", head: bytes = b"", fill: bytes = b"x",
         declared: bool = False) -> Answer:
    """`head`, then `fill` repeated up to `size` bytes, made as it is sent; the length is
    in the headers only when `declared` (else the answer ends when the connection does)."""
    def chunks() -> Iterable[bytes]:
        headers = {"Content-Type": content_type} | ({"Content-Length": str(size)} if declared else {})
        yield _head(200, headers) + head
        block = fill * ((1 << 20) // len(fill))
        left = size - len(head)
        while left > 0:
            yield block[:left]
            left -= len(block)
    return lambda handler: _send(handler, chunks())


@cache
def gzipped_zeros(inflated: int) -> bytes:
    """`inflated` zero bytes, gzipped (1 GiB makes about 1 MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    out = [packer.compress(block[:min(len(block), inflated - done)]) for done in range(0, inflated, len(block))]
    return b"".join(out) + packer.flush()


def gzip_bomb(inflated: int, content_type: str = "application/xml") -> Answer:
    """A gzip body that inflates to `inflated` zero bytes."""
    data = gzipped_zeros(inflated)
    return lambda handler: _send(handler, [_head(200, {"Content-Type": content_type, "Content-Encoding": "gzip",
                                                       "Content-Length": str(len(data))}), data])


def redirect(location: str, status: int = 302) -> Answer:
    """A redirect to `location`."""
    return lambda handler: _send(handler, [_head(status, {"Location": location, "Content-Length": "0"})])
