"""Whether a process still runs and what listens where, for the supervisor's tests (Linux /proc)."""

import time

import pytest


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its new parent to reap it (a zombie serves nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def eventually(condition, seconds: float, what: str, poll: float = 0.5):
    """condition()'s first true value; fails naming `what` once `seconds` pass (a bound, not a measure)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f}s: {what}")
        time.sleep(poll)


LOOPBACK = "0100007F"  # 127.0.0.1, as /proc/net/tcp writes it
EVERY_INTERFACE = "00000000"  # 0.0.0.0


def listeners() -> dict:
    """{port: [local address, ...]} of every listening TCP socket, from /proc/net/tcp{,6}."""
    found: dict = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] != "0A":  # LISTEN
                    continue
                address, port = fields[1].rsplit(":", 1)
                found.setdefault(int(port, 16), []).append(address)
    return found
