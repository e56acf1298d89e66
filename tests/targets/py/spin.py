# Shared by the Python targets: Python code that keeps the CPU busy for a while (frames named `spin (spin.py:N)`).


def spin(seconds):
    """Runs Python bytecode for this many seconds of wall-clock time; returns how many rounds it made."""
    import time

    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        n += 1
    return n
