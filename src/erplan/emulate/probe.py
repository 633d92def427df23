"""The client that opens a flow's connections inside a namespace, one job per connection.

Run as ``python -m erplan.emulate.probe MARK NAMESPACE JOBS``; prints one JSON result per job.
Each connection has its own destination port (the run's counters tell its edges apart) and its
own source address. Kinds:

- ``direct``: resolve the set's name through the site's resolver from the source address, then
  connect to the answer and exchange a line with the echo server;
- ``proxy``: ``CONNECT name:port`` through the proxy, then the same exchange; with a
  ``resolver`` (a cloud proxy) the name is resolved first and the answer sent instead, to the
  proxy on ``proxy_port``. A failure on the way to the proxy, or beyond it before the last proxy
  (a chain's upstream), is at stage ``proxy``: the flow's own request never left;
- ``dns``: one query (``p<port>.`` first label) answered with the address the query reached
  the internet from;
- ``inbound``: connect from the initiator's address to the service's DNS record.

A job whose ``proto`` is ``udp`` sends datagrams instead of connecting: one to the echo, its
reply, then a second one and its reply, all on one source port. The second exchange is the
initiator's next packet: a stateful box the first reply bypassed drops it (docs/emulation.md
"UDP"). No datagram is sent twice: a retry would be a later packet of the same session. With a
``relay`` (a cloud proxy) they go to it instead, on the flow's port, each naming the echo; with
``via``, only once every proxy on premises named there accepts a connection.

Every socket reads the ICMP errors queued on it (``IP_RECVERR``): a connection or datagram the
kernel's TTL ended went round a loop, and says so.

Standard library only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import sys
from typing import Any

from erplan.emulate.agent import (
    CONNECT_TIMEOUT,
    DNS_PORT,
    LOOKUP_TIMEOUT,
    LOOP_ERROR,
    PROBE_NAME,
    PROXY_PORT,
    RCODE_LOOPED,
    ask,
    parse_answer,
    raise_file_limit,
)
from erplan.emulate.sockets import LOOPED_ERROR, Looped, open_tcp, recv_errors, time_exceeded
from erplan.emulate.udp import RELAY_LOOPED, RELAY_REFUSED, relay_header

DNS_TIMEOUT = LOOKUP_TIMEOUT
TCP_TIMEOUT = 3.0
CONCURRENCY = 256
# In a datagram exchange's queue: the kernel's TTL ended a datagram; the relay refused it.
LOOPED, RELAY_DOWN = b"looped", b"relay down"
# What a cloud proxy's relay says instead of a reply: the echo refused, or the datagram looped.
RELAY_NOTICES: dict[bytes, bytes | None] = {RELAY_REFUSED: None, RELAY_LOOPED: LOOPED}


def _why(exc: OSError) -> str:
    """The errno's own text (``results.REFUSED`` matches it): asyncio words some messages
    itself ("Connect call failed")."""
    return (os.strerror(exc.errno) if exc.errno else exc.strerror) or type(exc).__name__


async def _exchange(
    host: str, port: int, source: str, result: dict[str, Any], timeout: float
) -> None:
    try:
        reader, writer = await open_tcp(host, port, source, timeout)
    except Looped:
        result.update(stage="connect", error=LOOPED_ERROR)
        return
    except TimeoutError:
        result.update(stage="connect", error="timeout")
        return
    except OSError as exc:
        result.update(stage="connect", error=_why(exc))
        return
    result["sport"] = writer.get_extra_info("sockname")[1]
    try:
        writer.write(b"erplan\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        if line.startswith(b"erplan"):
            result.update(ok=True, stage=None, seen=line.decode().split()[-1])
        else:
            result.update(stage="echo", error="no reply")
    except TimeoutError:
        result.update(stage="echo", error="timeout")
    except OSError as exc:
        result.update(stage="echo", error=_why(exc))
    finally:
        writer.close()


async def _datagrams(
    host: str,
    port: int,
    source: str,
    result: dict[str, Any],
    timeout: float,
    relay: str | None = None,
) -> None:
    """The two exchanges with the echo at ``host``; with ``relay`` (a cloud proxy) through it,
    each datagram naming the echo for the relay to send on from its own address."""
    loop = asyncio.get_running_loop()
    peer = (relay or host, port)
    head = relay_header(host, port) if relay else b""
    # None: refused; LOOPED: an ICMP time exceeded came back (a routing loop).
    replies: asyncio.Queue[bytes | None] = asyncio.Queue()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    class _Replies(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            # The initiator accepts a reply only from the address it sent to.
            if (addr[0], addr[1]) == peer:
                replies.put_nowait(RELAY_NOTICES.get(data, data))

        def error_received(self, exc: Exception) -> None:
            looped = time_exceeded(sock)  # reads the queued error, whatever it is
            # ICMP port unreachable: a host there refused it, as a TCP reset would.
            if isinstance(exc, ConnectionRefusedError):
                replies.put_nowait(RELAY_DOWN if relay else None)
            elif looped:
                replies.put_nowait(LOOPED)

    try:
        sock.setblocking(False)
        recv_errors(sock)
        sock.bind((source, 0))
        sock.connect(peer)
        transport, _ = await loop.create_datagram_endpoint(_Replies, sock=sock)
    except OSError as exc:
        sock.close()
        result.update(stage="connect", error=_why(exc))
        return
    result["sport"] = transport.get_extra_info("sockname")[1]
    try:
        for n, stage in ((1, "echo"), (2, "next")):
            transport.sendto(head + f"erplan {n}\n".encode())
            try:
                line = await asyncio.wait_for(replies.get(), timeout)
            except TimeoutError:
                result.update(stage=stage, error="timeout")
                return
            if line is None:
                result.update(stage="connect", error=os.strerror(errno.ECONNREFUSED))
                return
            if line is RELAY_DOWN:
                # Nothing relays there: the flow's own datagram never left (as for TCP).
                result.update(stage="proxy", error="to proxy: ConnectionRefusedError")
                return
            if line is LOOPED:
                result.update(stage=stage, error=LOOPED_ERROR)
                return
            if not line.startswith(b"erplan"):
                result.update(stage=stage, error="no reply")
                return
            result["seen"] = line.decode().split()[-1]
        result.update(ok=True, stage=None)
    finally:
        transport.close()


async def _proxy(job: dict[str, Any], result: dict[str, Any]) -> None:
    target = job["name"]
    if job.get("resolver") is not None:
        target = await _resolve(job, job["name"], result)
        if target is None:
            return
        result["answer"] = target
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                job["proxy"], job.get("proxy_port", PROXY_PORT), local_addr=(job["source"], 0)
            ),
            TCP_TIMEOUT,
        )
    except (OSError, TimeoutError) as exc:
        result.update(stage="proxy", error=f"to proxy: {type(exc).__name__}")
        return
    try:
        writer.write(f"CONNECT {target}:{job['port']} HTTP/1.1\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(
            reader.readuntil(b"\r\n\r\n"), LOOKUP_TIMEOUT + CONNECT_TIMEOUT + 0.5
        )
        status = head.split(b"\r\n", 1)[0].decode()
        for line in head.decode().split("\r\n"):
            if line.startswith("X-Upstream:"):
                answer, sport = line.split()[1:3]
                result.update(answer=answer, upstream_sport=int(sport))
        if " 200 " not in status + " ":
            stage = "dns" if "502 dns" in status else "connect"
            if "502 upstream" in status:
                stage = "proxy"
            looped = status.endswith("502 connect loop")
            result.update(stage=stage, error=LOOPED_ERROR if looped else status)
            return
        writer.write(b"erplan\n")
        await writer.drain()
        echoed = await asyncio.wait_for(reader.readline(), TCP_TIMEOUT)
        if echoed.startswith(b"erplan"):
            result.update(ok=True, stage=None, seen=echoed.decode().split()[-1])
        else:
            result.update(stage="echo", error="no reply")
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
        result.update(stage="echo", error=type(exc).__name__)
    finally:
        writer.close()


async def _resolve(job: dict[str, Any], name: str, result: dict[str, Any]) -> str | None:
    """The address the job's resolver answers for ``name`` (None: the error is in ``result``)."""
    resolver = job.get("resolver")
    raw = None
    if resolver is not None:
        raw = await ask(resolver, DNS_PORT, name, job["source"], DNS_TIMEOUT)
    answer = parse_answer(raw) if raw is not None else None
    if answer is None:
        if resolver is None:
            result["error"] = "no resolver"
        elif raw is None:
            result["error"] = "no answer from the resolver"
        else:  # the resolver answered without an address (its upstream failed)
            rcode = raw[3] & 0x0F if len(raw) > 3 else None
            looped = rcode == RCODE_LOOPED
            result["error"] = LOOP_ERROR if looped else f"resolver answered rcode {rcode}"
    return answer


async def _relay_runs(job: dict[str, Any], result: dict[str, Any]) -> bool:
    """Datagrams a proxy relays leave from its address only while it, and every proxy before it
    in a chain, runs: is each listening?"""
    for proxy in job["via"]:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(proxy, PROXY_PORT, local_addr=(job["source"], 0)),
                TCP_TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            result.update(stage="proxy", error=f"to proxy {proxy}: {type(exc).__name__}")
            return False
        writer.close()
    return True


async def run_job(job: dict[str, Any], gate: asyncio.Semaphore) -> dict[str, Any]:
    result: dict[str, Any] = {"id": job["id"], "ok": False, "stage": "dns", "error": None}
    async with gate:
        kind = job["kind"]
        if kind == "inbound":
            await _send(job, job["destination"], result)
        elif kind == "proxy":
            await _proxy(job, result)
        elif job.get("via") is None or await _relay_runs(job, result):
            name = f"p{job['port']}.{PROBE_NAME}" if kind == "dns" else job["name"]
            answer = await _resolve(job, name, result)
            if answer is None:
                result["stage"] = "dns"
            elif kind == "dns":
                result.update(ok=True, stage=None, answer=answer)
            else:
                result["answer"] = answer
                await _send(job, answer, result)
    return result


async def _send(job: dict[str, Any], host: str, result: dict[str, Any]) -> None:
    """The job's exchange with ``host``: a connection, or datagrams (through its relay)."""
    if job.get("proto") == "udp":
        await _datagrams(host, job["port"], job["source"], result, TCP_TIMEOUT, job.get("relay"))
    else:
        await _exchange(host, job["port"], job["source"], result, TCP_TIMEOUT)


async def run_all(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(CONCURRENCY)
    return list(await asyncio.gather(*(run_job(j, gate) for j in jobs)))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: probe MARK NAMESPACE JOBS", file=sys.stderr)
        return 2
    raise_file_limit()
    with open(argv[2], encoding="utf-8") as fh:
        jobs = json.load(fh)
    print(json.dumps(asyncio.run(run_all(jobs))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
