"""The two small programs run inside namespaces: a TCP echo listener and a TCP probe client.

They are passed to ``python -c`` so nothing needs installing inside a namespace. Both are
bounded: the client opens at most 1000 sockets and stops at its deadline; the listener serves
until it is terminated by the run that started it.
"""

from __future__ import annotations

# argv: MARK NAMESPACE ADDR:PORT... ; prints "ready" once every socket listens.
SERVER = r"""
import asyncio, sys

async def handle(reader, writer):
    try:
        line = await asyncio.wait_for(reader.readline(), 5)
        writer.write(line or b"\n")
        await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()

async def main():
    servers = []
    for spec in sys.argv[3:]:
        host, port = spec.rsplit(":", 1)
        servers.append(await asyncio.start_server(handle, host, int(port), backlog=4096,
                                                  reuse_address=True))
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

# argv: SOURCE DEST PORT COUNT TIMEOUT ; prints {"ok": n, "total": n} as JSON.
CLIENT = r"""
import errno, json, selectors, socket, sys, time

src, dst = sys.argv[1], sys.argv[2]
port, count, timeout = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
sel = selectors.DefaultSelector()
state = {}
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((src, 0))
    rc = s.connect_ex((dst, port))
    if rc not in (0, errno.EINPROGRESS):
        s.close()
        continue
    state[s] = "connecting"
    sel.register(s, selectors.EVENT_WRITE)
ok = 0
deadline = time.monotonic() + timeout
while state and time.monotonic() < deadline:
    for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
        s = key.fileobj
        if state[s] == "connecting":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                sel.unregister(s); s.close(); del state[s]; continue
            try:
                s.send(b"erplan\n")
            except OSError:
                sel.unregister(s); s.close(); del state[s]; continue
            state[s] = "reading"
            sel.modify(s, selectors.EVENT_READ)
        else:
            try:
                data = s.recv(64)
            except OSError:
                data = b""
            if data.startswith(b"erplan"):
                ok += 1
            sel.unregister(s); s.close(); del state[s]
for s in list(state):
    s.close()
print(json.dumps({"ok": ok, "total": count}))
"""
