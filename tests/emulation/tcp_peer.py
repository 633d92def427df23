"""A TCP server that tells each client the addresses it saw, and the client that asks it.

Run inside a namespace of a test network: ``python tcp_peer.py serve MARK PORT`` answers every
connection on PORT with ``<peer address> <local address>``, until killed; ``python tcp_peer.py
connect SOURCE DEST PORT COUNT`` opens COUNT connections from SOURCE (any port) and prints one
JSON line per connection: what the server saw, or the error. MARK names the run, so that its
clean-up finds the server by its command line.
"""

from __future__ import annotations

import json
import socket
import sys
import threading

TIMEOUT_S = 2.0


def _answer(conn: socket.socket, peer: tuple[str, int]) -> None:
    with conn:
        conn.sendall(f"{peer[0]} {conn.getsockname()[0]}\n".encode())


def serve(port: int) -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Any address routed to this namespace as local (a whole prefix on lo), not only its own.
    srv.setsockopt(socket.SOL_IP, 19, 1)  # IP_FREEBIND
    srv.bind(("0.0.0.0", port))
    srv.listen(256)
    print("ready", flush=True)
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=_answer, args=(conn, peer), daemon=True).start()


def connect(source: str, dest: str, port: int, count: int) -> None:
    for _ in range(count):
        out: dict[str, object] = {"dest": dest, "port": port}
        try:
            with socket.create_connection((dest, port), TIMEOUT_S, (source, 0)) as s:
                out["sport"] = s.getsockname()[1]
                seen = s.makefile().readline().split()
                out["peer"], out["local"] = seen[0], seen[1]
        except OSError as e:
            out["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(out), flush=True)


def main(argv: list[str]) -> None:
    if argv[0] == "serve":
        serve(int(argv[2]))
    else:
        connect(argv[1], argv[2], int(argv[3]), int(argv[4]))


if __name__ == "__main__":
    main(sys.argv[1:])
