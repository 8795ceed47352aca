"""QR codes as inline SVG, so no image request and no inline script are needed."""

import segno


def qr_svg(text: str, scale: int = 5) -> str:
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#111", light="#fff")
