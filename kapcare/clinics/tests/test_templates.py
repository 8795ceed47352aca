from pathlib import Path

import kapcare

ROOT = Path(kapcare.__file__).parent


def test_no_page_uses_a_pictograph_the_fonts_lack():
    """Pictographs beyond the Basic Multilingual Plane (emoji such as a padlock) are missing from
    the fonts many clinic machines and the PDF renderer have (DejaVu): they show as an empty box."""
    found = {
        str(path.relative_to(ROOT)): sorted({f"U+{ord(c):X}" for c in path.read_text() if ord(c) > 0xFFFF})
        for path in ROOT.rglob("*.html")
    }
    assert {path: chars for path, chars in found.items() if chars} == {}
