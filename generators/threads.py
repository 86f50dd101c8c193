"""Per-OS-thread torch thread counts: the app serves each request on one thread and lets a training run use more.

torch.set_num_threads is process-wide in effect: it sets OpenMP's default for threads started later and MKL's
global count. Both runtimes also have a per-thread setting, which is what `thread_threads` changes: libgomp's
omp_set_num_threads (elementwise ops, oneDNN convolutions) and MKL's mkl_set_num_threads_local (matmuls, the
Linear layers of the VAE, the names Transformer). Without the second, a run pulled on a request thread did its
matmuls on the one thread requests get: names trained at 36 steps/s in the Train tab against 60 in the CLI.
"""
from __future__ import annotations

import ctypes
import os

_LIBS: dict = {}


def _loaded(fragment: str) -> list[str]:
    try:
        with open(f"/proc/{os.getpid()}/maps") as f:
            return sorted({line.split()[-1] for line in f if fragment in line and "/" in line})
    except OSError:
        return []


def _libgomp():
    """The OpenMP runtime torch runs on, when it is GNU libgomp (Linux wheels); else None."""
    if "gomp" not in _LIBS:
        lib = None
        try:
            paths = _loaded("libgomp")
            if paths:
                lib = ctypes.CDLL(paths[0])
                lib.omp_get_max_threads.restype = ctypes.c_int
        except (OSError, AttributeError):
            lib = None
        _LIBS["gomp"] = lib
    return _LIBS["gomp"]


def _mkl():
    """MKL's C entry points, from whichever loaded library exports them (torch links MKL statically into
    libtorch_cpu); else None. The C names, not the lowercase ones, which are the Fortran by-pointer ABI."""
    if "mkl" not in _LIBS:
        lib = None
        import torch  # noqa: F401  (loads libtorch_cpu)

        for path in _loaded("libtorch_cpu") + _loaded("libmkl"):
            try:
                cand = ctypes.CDLL(path)
                cand.MKL_Set_Num_Threads_Local.restype = ctypes.c_int
                cand.MKL_Set_Num_Threads_Local.argtypes = [ctypes.c_int]
                cand.MKL_Get_Max_Threads.restype = ctypes.c_int
                lib = cand
                break
            except (OSError, AttributeError):
                continue
        _LIBS["mkl"] = lib
    return _LIBS["mkl"]


def mkl_threads() -> int | None:
    """MKL's thread count for the calling thread (its local setting, else the global one); None without MKL."""
    lib = _mkl()
    return lib.MKL_Get_Max_Threads() if lib is not None else None


class thread_threads:
    """`with thread_threads(n):` torch ops on the calling thread use n intra-op threads, in OpenMP and in MKL;
    other threads keep theirs. A no-op for a runtime that is absent (not libgomp, no MKL), or when n is None."""

    def __init__(self, n: int | None):
        self.n, self.before, self.mkl_before = n, None, None

    def __enter__(self):
        if not self.n:
            return self
        lib = _libgomp()
        if lib is not None and self.before is None:
            import torch

            torch.get_num_threads()                  # torch's lazy per-thread init first, or it would undo ours
            self.before = lib.omp_get_max_threads()
            lib.omp_set_num_threads(int(self.n))
        mkl = _mkl()
        if mkl is not None and self.mkl_before is None:
            self.mkl_before = mkl.MKL_Set_Num_Threads_Local(int(self.n))   # previous local value; 0 = global
        return self

    def __exit__(self, *exc):
        if self.before is not None:
            _libgomp().omp_set_num_threads(self.before)
            self.before = None
        if self.mkl_before is not None:
            _mkl().MKL_Set_Num_Threads_Local(self.mkl_before)
            self.mkl_before = None
        return False
