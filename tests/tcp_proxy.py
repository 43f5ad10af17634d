"""A TCP proxy a test controls, in front of a shared server (PostgreSQL, Redis): `cut()` makes
the server unreachable through it (new connections refused, open ones dropped) without
touching the server that other tests use; `restore()` lets connections through again."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import List, Optional, Tuple

from asbcr.stack import LOOPBACK, free_port


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = LOOPBACK) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._pairs: List[Tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._acceptor: Optional[threading.Thread] = None
        self.restore()

    @property
    def is_cut(self) -> bool:
        return self._acceptor is None

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self._acceptor is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(128)
        listener.settimeout(0.1)  # so the acceptor sees a cut promptly
        self._stop.clear()
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        """Refuse new connections and drop every open one, as an unreachable server would."""
        if self._acceptor is None:
            return
        self._stop.set()
        self._acceptor.join()
        self._acceptor = None  # the listener is closed: connecting now is refused
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._stop.is_set():
                try:
                    client, _ = listener.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                client.settimeout(None)
                try:
                    server = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                with self._lock:
                    self._pairs.append((client, server))
                for source, sink in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._pairs = [pair for pair in self._pairs if source not in pair]
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()
