"""CPU instruction counts through Linux perf events, opened with ``perf_event_open`` via ctypes.

The counter counts retired user-space instructions (``PERF_TYPE_HARDWARE`` /
``PERF_COUNT_HW_INSTRUCTIONS`` with ``exclude_kernel`` and ``exclude_hv``) of the calling
thread and, through ``inherit``, of every thread and child process created after it is
opened. Open it before importing JAX so that XLA's thread pools are counted too. Reading the
file descriptor returns the sum over the thread and its inherited copies (perf_event_open(2)).

Instruction counts are far less sensitive to machine load than wall time, which is why
Liu et al. 2024, "Evaluating Language Models for Efficient Code Generation" (EvalPerf,
arXiv:2408.06450) profile with them. Many virtual machines and containers expose no hardware
counters. :func:`instruction_counter_status` reports that, and callers fall back to wall time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PERF_COUNT_HW_INSTRUCTIONS",
    "PERF_COUNT_SW_TASK_CLOCK",
    "PERF_TYPE_HARDWARE",
    "PERF_TYPE_SOFTWARE",
    "CounterStatus",
    "PerfCounter",
    "PerfEventError",
    "instruction_counter_status",
    "perf_event_paranoid",
]

# Constants from linux/perf_event.h.
PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1
PERF_COUNT_HW_INSTRUCTIONS = 1
PERF_COUNT_SW_TASK_CLOCK = 1

# Bit positions in the flags word of perf_event_attr.
_FLAG_DISABLED = 1 << 0
_FLAG_INHERIT = 1 << 1
_FLAG_EXCLUDE_KERNEL = 1 << 5
_FLAG_EXCLUDE_HV = 1 << 6

# ioctl request numbers _IO('$', n) from linux/perf_event.h.
_PERF_EVENT_IOC_ENABLE = 0x2400
_PERF_EVENT_IOC_DISABLE = 0x2401
_PERF_EVENT_IOC_RESET = 0x2403

# System call numbers of perf_event_open per architecture (asm/unistd.h).
_SYSCALL_NUMBERS = {"x86_64": 298, "amd64": 298, "aarch64": 241, "arm64": 241}

_PARANOID_PATH = Path("/proc/sys/kernel/perf_event_paranoid")


class _PerfEventAttr(ctypes.Structure):
    """``struct perf_event_attr`` up to ``sample_max_stack`` (PERF_ATTR_SIZE_VER5, 112 bytes)."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("config", ctypes.c_uint64),
        ("sample_period", ctypes.c_uint64),
        ("sample_type", ctypes.c_uint64),
        ("read_format", ctypes.c_uint64),
        ("flags", ctypes.c_uint64),
        ("wakeup_events", ctypes.c_uint32),
        ("bp_type", ctypes.c_uint32),
        ("config1", ctypes.c_uint64),
        ("config2", ctypes.c_uint64),
        ("branch_sample_type", ctypes.c_uint64),
        ("sample_regs_user", ctypes.c_uint64),
        ("sample_stack_user", ctypes.c_uint32),
        ("clockid", ctypes.c_int32),
        ("sample_regs_intr", ctypes.c_uint64),
        ("aux_watermark", ctypes.c_uint32),
        ("sample_max_stack", ctypes.c_uint16),
        ("reserved", ctypes.c_uint16),
    ]


class PerfEventError(OSError):
    """Raised when ``perf_event_open`` fails; ``errno`` and the message give the cause."""


def perf_event_paranoid() -> int | None:
    """Return the kernel's ``perf_event_paranoid`` level, or None where the file is missing.

    Levels (Documentation/admin-guide/sysctl/kernel.rst): -1 allows everything, 0 and 1 allow
    kernel profiling, 2 allows user-space counting of one's own processes only, and values
    above 2 (a Debian/Ubuntu patch) forbid unprivileged use altogether.
    """
    try:
        return int(_PARANOID_PATH.read_text().strip())
    except (OSError, ValueError):
        return None


def _syscall_number() -> int:
    machine = platform.machine().lower()
    if machine not in _SYSCALL_NUMBERS:
        raise PerfEventError(
            errno.ENOSYS,
            f"perf_event_open has no known system call number on {machine!r}; known: {sorted(_SYSCALL_NUMBERS)}",
        )
    return _SYSCALL_NUMBERS[machine]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


_ERRNO_HINTS = {
    errno.ENOENT: "the kernel exposes no such event (no hardware PMU, typical in virtual machines and containers)",
    errno.EOPNOTSUPP: "the event is not supported on this CPU or hypervisor",
    errno.EACCES: "access denied: lower /proc/sys/kernel/perf_event_paranoid to 2 or grant CAP_PERFMON",
    errno.EPERM: "operation not permitted: a seccomp filter (Docker's default) or perf_event_paranoid blocks it",
    errno.ENOSYS: "the kernel was built without perf events",
    errno.ENODEV: "the event's PMU is not available",
}


class PerfCounter:
    """One perf event counter for the calling thread and its later threads and children.

    Args:
        event_type: ``PERF_TYPE_HARDWARE`` or ``PERF_TYPE_SOFTWARE``.
        config: the event within the type, e.g. ``PERF_COUNT_HW_INSTRUCTIONS``.
        inherit: count threads and processes created after opening as well.

    The counter starts enabled; :meth:`read` returns the running total, so a measurement is the
    difference of two reads. Close it with :meth:`close` or use it as a context manager.

    Raises:
        PerfEventError: if the kernel rejects the event; the message names the likely cause.
    """

    def __init__(self, event_type: int = PERF_TYPE_HARDWARE, config: int = PERF_COUNT_HW_INSTRUCTIONS,
                 *, inherit: bool = True):
        attr = _PerfEventAttr()
        attr.type = event_type
        attr.size = ctypes.sizeof(_PerfEventAttr)
        attr.config = config
        attr.flags = _FLAG_EXCLUDE_KERNEL | _FLAG_EXCLUDE_HV | (_FLAG_INHERIT if inherit else 0)
        libc = _libc()
        libc.syscall.restype = ctypes.c_long
        # pid=0, cpu=-1: this process on any CPU; group_fd=-1; flags=0.
        fd = libc.syscall(_syscall_number(), ctypes.byref(attr), 0, -1, -1, 0)
        if fd < 0:
            code = ctypes.get_errno()
            hint = _ERRNO_HINTS.get(code, os.strerror(code))
            raise PerfEventError(code, f"perf_event_open(type={event_type}, config={config}) failed: {hint}")
        self._fd = int(fd)
        self._libc = libc

    def read(self) -> int:
        """Return the counter's total since it was opened (or last reset)."""
        data = os.read(self._fd, 8)
        return int.from_bytes(data, sys.byteorder)

    def reset(self) -> None:
        """Set the counter back to zero."""
        self._libc.ioctl(self._fd, _PERF_EVENT_IOC_RESET, 0)

    def close(self) -> None:
        """Release the file descriptor; later reads fail."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> PerfCounter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class CounterStatus:
    """Whether the instruction counter works here, with the reason when it does not."""

    available: bool
    reason: str
    paranoid: int | None


def instruction_counter_status() -> CounterStatus:
    """Check whether user-space instruction counting works by reading the paranoid level and opening a counter.

    A trial open is the only reliable check: containers and virtual machines often report a
    permissive paranoid level but expose no hardware events (``ENOENT``), and Docker's default
    seccomp profile blocks the system call (``EPERM``).
    """
    paranoid = perf_event_paranoid()
    if paranoid is None:
        return CounterStatus(False, f"{_PARANOID_PATH} is missing: the kernel has no perf events", None)
    if paranoid > 2:
        return CounterStatus(
            False, f"perf_event_paranoid is {paranoid} (> 2), which forbids unprivileged counting", paranoid
        )
    try:
        with PerfCounter() as counter:
            before = counter.read()
            sum(range(10_000))
            after = counter.read()
    except PerfEventError as error:
        return CounterStatus(False, str(error), paranoid)
    if after <= before:
        return CounterStatus(False, "the instruction counter opened but did not advance", paranoid)
    return CounterStatus(True, f"user-space instruction counter works (perf_event_paranoid={paranoid})", paranoid)
