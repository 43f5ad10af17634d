"""Whether a process still runs, for the supervisor's tests (Linux /proc)."""


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its new parent to reap it (a zombie serves nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
