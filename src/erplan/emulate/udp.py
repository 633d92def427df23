"""The UDP servers inside namespaces: the echo every flow port's datagrams reach, and a cloud
proxy's datagram relay.

Standard library only (the helpers started inside namespaces import it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
from typing import Any, cast

from erplan.emulate.sockets import big_buffers, recv_errors, time_exceeded

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value; not every Python names it
PKTINFO = struct.Struct("=I4s4s")  # in_pktinfo: interface, local address, header destination


class UdpEcho:
    """Answers each datagram from the address it arrived at (an unbound socket would answer
    from whatever address the route back prefers, which no session would recognise)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def read(self) -> None:
        while True:
            try:
                data, anc, _flags, addr = self.sock.recvmsg(2048, socket.CMSG_SPACE(PKTINFO.size))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            to = next(
                (PKTINFO.unpack(d[: PKTINFO.size])[2] for _lvl, typ, d in anc if typ == IP_PKTINFO),
                None,
            )
            if not data.startswith(b"erplan"):
                continue
            reply = f"erplan {addr[0]}\n".encode()
            info = [] if to is None else [PKTINFO.pack(0, to, bytes(4))]
            ancillary = [(socket.IPPROTO_IP, IP_PKTINFO, i) for i in info]
            with contextlib.suppress(OSError):
                self.sock.sendmsg([reply], ancillary, 0, addr)


def udp_echo(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    big_buffers(sock)
    sock.bind(("0.0.0.0", port))
    sock.setblocking(False)
    echo = UdpEcho(sock)
    asyncio.get_running_loop().add_reader(sock.fileno(), echo.read)
    return sock


# A cloud proxy's datagram relay: each datagram from a client starts with a header naming where
# to send the rest; what comes back is sent to the client as it is, or one of the notices.
RELAY_MAGIC = b"RELAY"
RELAY_REFUSED = b"!relay refused\n"  # the host there refused it (ICMP port unreachable)
RELAY_LOOPED = b"!relay looped\n"  # it went round a loop (ICMP time exceeded)
RELAY_IDLE_S = 30.0  # a client's leg is forgotten after this long


def relay_header(host: str, port: int) -> bytes:
    return RELAY_MAGIC + f" {host} {port}\n".encode()


def parse_relay(data: bytes) -> tuple[tuple[str, int], bytes] | None:
    """((address, port) to send to, payload) of a client's datagram, or None if malformed."""
    head, sep, payload = data.partition(b"\n")
    words = head.split()
    if not sep or len(words) != 3 or words[0] != RELAY_MAGIC or not words[2].isdigit():
        return None
    try:
        address = str(ipaddress.IPv4Address(words[1].decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        return None
    port = int(words[2])
    return ((address, port), payload) if 0 < port < 65536 else None


class UdpRelay(asyncio.DatagramProtocol):
    """Relays the datagrams of each client (its address and port) from a socket of its own on
    the relay's address, so the client's later datagrams are later packets of one session on
    both legs; what comes back goes to the client from the address it sent to."""

    def __init__(self, listen: str) -> None:
        self.listen = listen
        self.transport: asyncio.DatagramTransport | None = None
        self.legs: dict[Any, socket.socket] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        big_buffers(transport.get_extra_info("socket"))

    def datagram_received(self, data: bytes, addr: Any) -> None:
        parsed = parse_relay(data)
        if parsed is None:
            return
        target, payload = parsed
        with contextlib.suppress(OSError):
            leg = self.legs.get(addr) or self._open(addr, target)
            leg.send(payload)

    def _open(self, client: Any, target: tuple[str, int]) -> socket.socket:
        loop = asyncio.get_running_loop()
        leg = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            leg.setblocking(False)
            recv_errors(leg)
            leg.bind((self.listen, 0))
            leg.connect(target)
        except OSError:
            leg.close()
            raise
        self.legs[client] = leg
        loop.add_reader(leg.fileno(), self._back, client, leg)
        loop.call_later(RELAY_IDLE_S, self._close, client, leg)
        return leg

    def _back(self, client: Any, leg: socket.socket) -> None:
        try:
            data = leg.recv(2048)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            looped = time_exceeded(leg)  # reads the queued error, or it would stay readable
            if isinstance(exc, ConnectionRefusedError):
                data = RELAY_REFUSED
            elif looped:
                data = RELAY_LOOPED
            else:
                return
        if self.transport is not None:
            self.transport.sendto(data, client)

    def _close(self, client: Any, leg: socket.socket) -> None:
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(leg.fileno())
        leg.close()
        if self.legs.get(client) is leg:
            del self.legs[client]
