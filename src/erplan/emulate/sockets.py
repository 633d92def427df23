"""Socket helpers the servers and the probe share: big buffers for bursts, and the ICMP errors
the kernel queues on a socket (``IP_RECVERR``), where a routing loop shows as time exceeded.

Standard library only (the helpers started inside namespaces import it).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

# A connection or datagram of a flow itself that the kernel's TTL ended.
LOOPED_ERROR = "went round a loop (ICMP time exceeded)"
IP_RECVERR, SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED = 11, 2, 11  # Linux; Python names none
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33  # Linux; not every Python names them


def big_buffers(sock: socket.socket | None) -> None:
    """A burst of queries must not overflow the socket (the default holds a few hundred)."""
    if sock is not None:
        for opt in (SO_RCVBUFFORCE, SO_SNDBUFFORCE):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)


class Looped(OSError):
    """An ICMP time exceeded answered the query (the connection): it went round a loop."""


def time_exceeded(sock: socket.socket) -> bool:
    """Whether the error queued on ``sock`` (``IP_RECVERR``) is an ICMP time exceeded."""
    try:
        _, ancillary, _, _ = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
    except OSError:
        return False
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_RECVERR and len(data) >= 6:
            origin, icmp_type = data[4], data[5]  # after the u32 ee_errno
            return origin == SO_EE_ORIGIN_ICMP and icmp_type == ICMP_TIME_EXCEEDED
    return False


def recv_errors(sock: socket.socket) -> None:
    """Queue the ICMP errors that reach ``sock`` (``IP_RECVERR``): time exceeded is not fatal
    to a UDP socket, and a TCP connect would only say "No route to host"."""
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)


async def open_tcp(
    host: str, port: int, source: str, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` from ``source``; a connection an ICMP time exceeded ended
    (a routing loop) raises ``Looped``, other failures their own error."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        recv_errors(sock)
        sock.bind((source, 0))
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), timeout)
    except OSError as exc:  # a timeout too: an answer may have come for an earlier SYN
        looped = time_exceeded(sock)
        sock.close()
        if looped:
            raise Looped(exc.errno, LOOPED_ERROR) from exc
        raise
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock)
