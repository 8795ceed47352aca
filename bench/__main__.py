"""`make bench`: run every bench/*_bench.py as its own process and show what each prints.

Benchmarks print ratios against a baseline measured in the same run, never bare timings to
compare across machines.
"""

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    only = sys.argv[1:]
    failed = 0
    for script in sorted(here.glob("*_bench.py")):
        name = script.stem.removesuffix("_bench")
        if only and name not in only:
            continue
        print(f"\n== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], cwd=here.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
