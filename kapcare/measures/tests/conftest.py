import sys
from pathlib import Path

# Lets `pytest kapcare/measures/tests` import kapcare.measures from any working directory.
ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
