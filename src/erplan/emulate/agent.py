"""The servers that run inside a namespace: echo, geoDNS, DNS resolver, HTTP CONNECT proxy.

Started by the run as ``python -m erplan.emulate.agent MARK NAMESPACE SPEC``; prints ``ready``
once every socket listens and serves until it is terminated. Standard library only (and its
siblings ``sockets`` and ``udp``, which are too), so it starts fast.

- echo (TCP and UDP ``ECHO_PORT``, where nftables redirects every flow port): reads a line (a
  datagram) and answers ``erplan <address the connection came from>``; a UDP answer leaves
  from the address the datagram was sent to, so the session it belongs to reverses it;
- geoDNS (UDP 53): answers a set's name with the address of the front end nearest to the
  breakout whose NAT range the query came from, and the probe name with that source address;
- resolver (UDP 53 on its address): forwards each query from its own address to the geoDNS
  server, on the flow port a ``p<port>.`` first label names (53 otherwise); a query whose
  time to live ran out on the way (a routing loop: the kernel's ICMP time exceeded came back)
  is answered with ``RCODE_LOOPED``, any other failure with SERVFAIL;
- proxy (TCP 3128 on its address): ``CONNECT name:port``, resolved through its site's resolver
  (or, for a proxy with an egress of its own, by the geoDNS server itself), connected from its
  own address; a request naming an address (a cloud proxy's clients resolve first) needs no
  resolver; a proxy with an upstream (a chain) sends the request on to the upstream proxy
  from its own address (to a cloud proxy on the request's port) and relays its answer;
- datagram relay (UDP 3128 on a cloud proxy's address, where nftables sends the flow ports):
  each client datagram names where to send the rest (``udp.relay_header``), sent on from the
  relay's address; what comes back goes to the client.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import resource
import socket
import struct
import sys
from typing import Any, cast

from erplan.emulate.sockets import Looped, big_buffers, open_tcp, recv_errors, time_exceeded
from erplan.emulate.udp import UdpRelay, udp_echo

ECHO_PORT = 19999
DNS_PORT = 53
PROXY_PORT = 3128
PROBE_NAME = "probe.erplan.invalid"
UPSTREAM_TIMEOUT = 5.0
CONNECT_TIMEOUT = 3.0
LOOKUP_TIMEOUT = 6.0  # a client's wait for its resolver (which waits UPSTREAM_TIMEOUT)
RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_REFUSED = 2, 3, 5
# Unassigned in DNS: between the resolver and the probe only, "the upstream query looped".
RCODE_LOOPED = 15
LOOP_ERROR = "the resolver's query went round a loop (ICMP time exceeded)"


def parse_query(data: bytes) -> tuple[int, str, bytes] | None:
    """(id, lower-case name, question section) of a DNS query, or None if malformed."""
    if len(data) < 12:
        return None
    qid, _flags, qdcount = struct.unpack("!HHH", data[:6])
    if qdcount != 1:
        return None
    labels: list[str] = []
    i = 12
    while True:
        if i >= len(data):
            return None
        n = data[i]
        i += 1
        if n == 0:
            break
        if n > 63 or i + n > len(data):
            return None
        labels.append(data[i : i + n].decode("ascii", "replace").lower())
        i += n
    if i + 4 > len(data):
        return None
    return qid, ".".join(labels), data[12 : i + 4]


def build_query(qid: int, name: str) -> bytes:
    out = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\x00" + struct.pack("!HH", 1, 1)


def build_answer(qid: int, question: bytes, address: str | None, rcode: int = 0) -> bytes:
    if address is None:
        return (
            struct.pack("!HHHHHH", qid, 0x8180 | (rcode or RCODE_SERVFAIL), 1, 0, 0, 0) + question
        )
    rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 0, 4) + ipaddress.IPv4Address(address).packed
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + rr


def parse_answer(data: bytes) -> str | None:
    """The first A record of a response, or None."""
    if len(data) < 12 or data[3] & 0x0F:
        return None
    _, _, qd, an = struct.unpack("!HHHH", data[:8])
    parsed = parse_query(data[:12] + data[12:]) if qd == 1 else None
    if parsed is None or an < 1:
        return None
    i = 12 + len(parsed[2])
    if i + 16 > len(data):
        return None
    rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[i + 2 : i + 12])
    if rtype != 1 or rdlen != 4:
        return None
    return str(ipaddress.IPv4Address(data[i + 12 : i + 16]))


def untagged(name: str) -> tuple[int, str]:
    """(upstream port, name without the ``p<port>.`` label)."""
    first, _, rest = name.partition(".")
    if first.startswith("p") and first[1:].isdigit() and rest:
        return int(first[1:]), rest
    return DNS_PORT, name


class GeoDns(asyncio.DatagramProtocol):
    def __init__(self, table: list[dict[str, Any]]) -> None:
        self.table = [
            ([ipaddress.IPv4Network(s) for s in e["sources"]], e["answers"]) for e in table
        ]
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        big_buffers(transport.get_extra_info("socket"))

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        parsed = parse_query(data)
        if parsed is None or self.transport is None:
            return
        qid, name, question = parsed
        _, name = untagged(name)
        source = ipaddress.IPv4Address(addr[0])
        answers = next((a for nets, a in self.table if any(source in n for n in nets)), None)
        if answers is None:
            reply = build_answer(qid, question, None, RCODE_REFUSED)
        elif name == PROBE_NAME:
            reply = build_answer(qid, question, str(source))
        elif name in answers:
            reply = build_answer(qid, question, answers[name])
        else:
            reply = build_answer(qid, question, None, RCODE_NXDOMAIN)
        self.transport.sendto(reply, addr)


async def ask(
    server: str,
    port: int,
    name: str,
    source: str,
    timeout: float,
    dscp: int = 0,
    report_loop: bool = False,
) -> bytes | None:
    """One DNS query from ``source`` (a fresh port, the packet marked ``dscp``), the raw
    response or None on timeout; with ``report_loop``, a query that looped raises ``Looped``."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    class _Once(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            if not got.done():
                got.set_result(data)

        def error_received(self, exc: Exception) -> None:
            if not got.done():
                got.set_exception(Looped() if time_exceeded(sock) else exc)

    try:
        sock.setblocking(False)
        recv_errors(sock)
        if dscp:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, dscp << 2)
        sock.bind((source, 0))
        sock.connect((server, port))
        transport, _ = await loop.create_datagram_endpoint(_Once, sock=sock)
    except OSError:
        sock.close()
        return None
    try:
        transport.sendto(build_query(0x4552, name))
        return await asyncio.wait_for(got, timeout)
    except Looped:
        if report_loop:
            raise
        return None
    except (TimeoutError, OSError):
        return None
    finally:
        transport.close()


class Resolver(asyncio.DatagramProtocol):
    """Forwards each query upstream from its own address. A client whose site names its
    resolver egress has its queries marked with that egress's DSCP (``pins``: prefix, mark):
    the internet answers them only when they arrive by that breakout."""

    def __init__(self, listen: str, upstream: str, pins: list[list[Any]] | None = None) -> None:
        self.listen, self.upstream = listen, upstream
        self.pins = [(ipaddress.IPv4Network(p), int(m)) for p, m in pins or []]
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        big_buffers(transport.get_extra_info("socket"))

    def mark(self, client: str) -> int:
        address = ipaddress.IPv4Address(client)
        return next((m for net, m in self.pins if address in net), 0)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        parsed = parse_query(data)
        if parsed is not None:
            task = asyncio.ensure_future(self._forward(parsed, addr))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _forward(self, parsed: tuple[int, str, bytes], addr: Any) -> None:
        qid, name, question = parsed
        port, _ = untagged(name)
        mark = self.mark(addr[0])
        try:
            raw = await ask(self.upstream, port, name, self.listen, UPSTREAM_TIMEOUT, mark, True)
            failed = RCODE_SERVFAIL
        except Looped:
            raw, failed = None, RCODE_LOOPED
        if self.transport is None:
            return
        if raw is None:
            self.transport.sendto(build_answer(qid, question, None, failed), addr)
        else:
            self.transport.sendto(struct.pack("!H", qid) + raw[2:], addr)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.wait_for(reader.readline(), 5)
        peer = writer.get_extra_info("peername")
        writer.write(f"erplan {peer[0] if peer else '?'}\n".encode())
        await writer.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        writer.close()


async def _forward(
    request: str, listen: str, parent: str, writer: asyncio.StreamWriter, flow_port: bool
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """Send the request on to the upstream proxy and relay its answer; the open connection
    when it connected. ``flow_port``: a cloud proxy, reached on the request's own port."""
    port = int(request.split()[1].rpartition(":")[2]) if flow_port else PROXY_PORT
    try:
        up_r, up_w = await asyncio.wait_for(
            asyncio.open_connection(parent, port, local_addr=(listen, 0)), CONNECT_TIMEOUT
        )
    except (OSError, TimeoutError) as exc:
        writer.write(f"HTTP/1.1 502 upstream {type(exc).__name__}\r\n\r\n".encode())
        return None
    up_w.write(request.encode())
    await up_w.drain()
    head = await asyncio.wait_for(up_r.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT + 5)
    writer.write(head)
    if head.split(None, 2)[1:2] != [b"200"]:
        up_w.close()
        return None
    return up_r, up_w


def _literal(name: str) -> str | None:
    """The address a request names itself (a cloud proxy's clients resolve first)."""
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        return None


def proxy_handler(
    listen: str, resolver: str | None, parent: str | None = None, flow_port: bool = False
) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            request = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
            if parent is not None:
                got = await _forward(request, listen, parent, writer, flow_port)
                if got is None:
                    return
                up_r, upstream = got
                line = await asyncio.wait_for(reader.readline(), 5)
                upstream.write(line)
                await upstream.drain()
                writer.write(await asyncio.wait_for(up_r.readline(), 5))
                await writer.drain()
                return
            target = request.split()[1]
            name, _, port = target.rpartition(":")
            answer = _literal(name)
            if answer is None and resolver is not None:
                raw = await ask(resolver, DNS_PORT, name, listen, LOOKUP_TIMEOUT)
                answer = parse_answer(raw) if raw is not None else None
            if answer is None:
                writer.write(b"HTTP/1.1 502 dns\r\n\r\n")
                return
            try:
                up_r, up_w = await open_tcp(answer, int(port), listen, CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                # The answer it tried, so the run can ask its router for a route there.
                why = "loop" if isinstance(exc, Looped) else type(exc).__name__
                head = f"HTTP/1.1 502 connect {why}\r\nX-Upstream: {answer} 0"
                writer.write(f"{head}\r\n\r\n".encode())
                return
            upstream = up_w
            sport = up_w.get_extra_info("sockname")[1]
            writer.write(f"HTTP/1.1 200 OK\r\nX-Upstream: {answer} {sport}\r\n\r\n".encode())
            line = await asyncio.wait_for(reader.readline(), 5)
            up_w.write(line)
            await up_w.drain()
            writer.write(await asyncio.wait_for(up_r.readline(), 5))
            await writer.drain()
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            writer.close()

    return handle


async def serve(spec: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    servers: list[Any] = []
    if spec.get("echo"):
        servers.append(
            await asyncio.start_server(echo, "0.0.0.0", ECHO_PORT, backlog=4096, reuse_address=True)
        )
        servers.append(udp_echo(ECHO_PORT))
    if "dns" in spec:
        servers.append(
            await loop.create_datagram_endpoint(
                lambda: GeoDns(spec["dns"]["table"]), local_addr=(spec["dns"]["listen"], DNS_PORT)
            )
        )
    if "resolver" in spec:
        r = spec["resolver"]
        servers.append(
            await loop.create_datagram_endpoint(
                lambda: Resolver(r["listen"], r["upstream"], r.get("pins")),
                local_addr=(r["listen"], DNS_PORT),
            )
        )
    if "relay" in spec:
        relay = spec["relay"]
        servers.append(
            await loop.create_datagram_endpoint(
                lambda: UdpRelay(relay["listen"]), local_addr=(relay["listen"], PROXY_PORT)
            )
        )
    for p in spec.get("proxies", []):
        servers.append(
            await asyncio.start_server(
                proxy_handler(
                    p["listen"],
                    p["resolver"],
                    p.get("upstream"),
                    p.get("upstream_flow_port", False),
                ),
                p["listen"],
                PROXY_PORT,
                backlog=4096,
            )
        )
    print("ready", flush=True)
    await asyncio.Event().wait()


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def main(argv: list[str]) -> int:
    # argv: MARK NAMESPACE SPEC (the mark and namespace only name the process for clean-up)
    if len(argv) != 3:
        print("usage: agent MARK NAMESPACE SPEC", file=sys.stderr)
        return 2
    raise_file_limit()
    with open(argv[2], encoding="utf-8") as fh:
        spec = json.load(fh)
    socket.setdefaulttimeout(10)
    asyncio.run(serve(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
