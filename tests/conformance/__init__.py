"""The conformance documents (README.md beside this file): where the tests find them."""

from pathlib import Path

FOLDER = Path(__file__).parent
US_CORE = FOLDER / "us-core"
SYNTHEA = next((FOLDER / "synthea").glob("*.json"))
