"""Two ParrotChat nodes on a throwaway Redis, behind HAProxy when it is installed, on this
machine: `uv run task cluster` (docs/operations.md "Scaling out").

Starts redis-server on a free port (no persistence, in a temporary directory), two nodes
(`python -m app`) on 127.0.0.1:8001 and :8002 with PARROT_REDIS_URL pointing at it, and
HAProxy with deploy/haproxy-cluster.cfg on 127.0.0.1:8000 in front of both. Open
http://127.0.0.1:8000 (or a node's own port) in two browsers; stop a node with
`kill -TERM <pid>` to watch its clients move to the other. Ctrl-C stops everything, by PID.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"cluster: {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"cluster: {url} did not answer in {timeout:.0f} s")


def _redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--proxy-port", type=int, default=8000)
    parser.add_argument("--ports", type=int, nargs=2, default=(8001, 8002))
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("cluster: redis-server is missing (apt-get install redis-server)")
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    processes: list[subprocess.Popen[bytes]] = []
    # The children have sessions of their own (a Ctrl-C reaches only this process), so that
    # they stop in order: the proxy, the nodes (each drains), then Redis.
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            redis_port = _free_port()
            processes.append(
                subprocess.Popen(
                    [
                        *(redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"),
                        *("--save", "", "--appendonly", "no", "--dir", workdir),
                    ],
                    stdout=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            deadline = time.monotonic() + 10
            while not _redis_up(redis_port):
                if time.monotonic() > deadline:
                    raise SystemExit("cluster: redis-server did not start")
                time.sleep(0.05)
            base = {k: v for k, v in os.environ.items() if not k.startswith("PARROT_")}
            base |= {"PARROT_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
            base |= {"PARROT_LOG_FORMAT": os.environ.get("PARROT_LOG_FORMAT", "console")}
            for index, port in enumerate(args.ports, start=1):
                env = base | {"PARROT_PORT": str(port), "PARROT_NODE_ID": f"node-{index}"}
                node = subprocess.Popen(
                    [sys.executable, "-m", "app"], env=env, cwd=ROOT, start_new_session=True
                )
                processes.append(node)
                _wait(f"http://127.0.0.1:{port}/readyz", node)
            if haproxy is not None:
                env = os.environ | {"PARROT_PROXY_BIND": f"127.0.0.1:{args.proxy_port}"}
                env |= {"PARROT_PROXY_MAXCONN": "1000"}
                for index, port in enumerate(args.ports, start=1):
                    env[f"PARROT_BACKEND_{index}"] = f"127.0.0.1:{port}"
                config = ROOT / "deploy" / "haproxy-cluster.cfg"
                proxy = subprocess.Popen(
                    [haproxy, "-db", "-f", str(config)], env=env, start_new_session=True
                )
                processes.append(proxy)
                _wait(f"http://127.0.0.1:{args.proxy_port}/readyz", proxy)
            pids = ", ".join(str(p.pid) for p in processes[1 : 1 + len(args.ports)])
            print(
                f"\ncluster: Redis on 127.0.0.1:{redis_port}; nodes on "
                + " and ".join(f"http://127.0.0.1:{p}" for p in args.ports)
                + f" (PIDs {pids})"
                + (
                    f"; HAProxy on http://127.0.0.1:{args.proxy_port}"
                    if haproxy
                    else "; no haproxy installed, so no proxy"
                )
                + ". Ctrl-C stops them all.",
                flush=True,
            )
            # Until Ctrl-C, whatever stops meanwhile: stopping Redis or a node is how to watch
            # the failures of docs/operations.md happen.
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in reversed(processes):  # the proxy, the nodes (they drain), Redis
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
