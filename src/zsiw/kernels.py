"""Which vector kernels torch runs on this CPU, and how to hold them lower.

fp32 training is bit-identical between two machines only when torch runs the same vector
kernels on both (docs/results-full-cpu.md): torch picks AVX2 or AVX-512 code by what the
CPU offers, unless environment variables hold it lower. A cell records the kernels that
trained it (``train.json``'s ``kernels``), and ``zsiw publish`` copies that record into
``provenance.json``, so that the record is of the training process, not of whichever shell
publishes the cell later.
"""

from __future__ import annotations

import os

#: The environment variables that hold torch's CPU kernels below what the CPU offers: ATen's
#: own kernels and oneDNN's (some fp32 operations run there). Both are needed for an
#: AVX-512 CPU to train bit for bit as an AVX2 one does (docs/results-full-cpu.md);
#: MKL's is kept for completeness (it made no difference there).
KERNEL_CAP_VARS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


def kernel_env(capability: str) -> dict[str, str]:
    """The environment that makes torch on a newer CPU run the kernels of ``capability``
    (``AVX2`` or ``AVX512``, as a cell's provenance records it), so that a cell trained
    elsewhere can be trained again bit for bit."""
    levels = {"AVX2": ("avx2", "AVX2"), "AVX512": ("avx512", "AVX512_CORE")}
    if capability not in levels:
        raise ValueError(f"no kernel cap for {capability!r}; expected one of {', '.join(levels)}")
    aten, onednn = levels[capability]
    return {"ATEN_CPU_CAPABILITY": aten, "ONEDNN_MAX_CPU_ISA": onednn}


def in_force() -> dict[str, object]:
    """This process's kernels: torch's level (``AVX2``, ``AVX512``, ...) and, only where one is
    set, the caps holding it there (``kernel_env``)."""
    import torch

    capped = {name: os.environ[name] for name in KERNEL_CAP_VARS if name in os.environ}
    return {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        **({"kernel_env": capped} if capped else {}),
    }
