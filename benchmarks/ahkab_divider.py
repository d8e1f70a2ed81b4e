"""Time the ahkab backend on the paper's divider: one static `.op`, one relaxation.

Run: python benchmarks/ahkab_divider.py
"""

import time
from pathlib import Path
from statistics import median

from memspec.backends.ahkab import AhkabBackend
from memspec.models import Simulation
from memspec.network import Network
from memspec.parser import load

ROOT = Path(__file__).resolve().parents[1]

INPUTS = {"high": 5.0, "low": 0.0}


def divider() -> Network:
    return Network.from_spec(load(ROOT / "specs" / "voltage_divider.mem"))


def seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> None:
    backend, net = AhkabBackend(), divider()
    backend.available()  # import ahkab (about 2 s, once per process)
    static = seconds(
        lambda: backend.simulate(net, INPUTS, Simulation(solver="newton")), 10
    )
    result = backend.simulate(net, INPUTS, Simulation())
    relax = seconds(lambda: backend.simulate(net, INPUTS, Simulation()), 5)
    steps = round(result.time / Simulation().dt) + 1
    print(f"static .op (memristor elements, Newton): {static * 1e3:.1f} ms")
    print(
        f"relaxation: {relax * 1e3:.0f} ms for {steps} linear .op steps "
        f"({relax / steps * 1e3:.2f} ms per step), out = {result.voltage('out')} V"
    )


if __name__ == "__main__":
    main()
