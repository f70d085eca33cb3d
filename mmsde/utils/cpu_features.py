"""Which bfloat16 instructions the CPU has, read from ``/proc/cpuinfo``.

Autocast to bfloat16 pays on a CPU only where bfloat16 arithmetic is native
(oneDNN uses AVX-512 BF16 and AMX on x86, the BF16 extension on Arm);
elsewhere oneDNN emulates it, often slower than float32.
"""
import os
from typing import FrozenSet, List

CPUINFO = '/proc/cpuinfo'
# cpuinfo flag -> the instruction set's usual name
BF16_FLAGS = {
    'avx512_bf16': 'AVX-512 BF16',
    'amx_bf16': 'AMX-BF16',
    'bf16': 'Arm BF16',  # aarch64's "Features" line
}


def cpu_flags(path: str = CPUINFO) -> FrozenSet[str]:
    """The feature flags of the first processor in ``path`` (x86's
    ``flags``, Arm's ``Features``); empty where the file does not exist
    (not Linux)."""
    if not os.path.isfile(path):
        return frozenset()
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(':')
            if key.strip() in ('flags', 'Features'):
                return frozenset(value.split())
    return frozenset()


def native_bf16_isas(path: str = CPUINFO) -> List[str]:
    """Names of the CPU's native bfloat16 instruction sets, e.g.
    ``['AVX-512 BF16']``; empty when bfloat16 would be emulated (or the
    CPU cannot be read)."""
    flags = cpu_flags(path)
    return [name for flag, name in BF16_FLAGS.items() if flag in flags]
