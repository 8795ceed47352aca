"""A plain, valid PDF from a title and paragraphs, for the guide a clinic ships before it uploads
its own. Text only (Helvetica, built into every PDF reader), wrapped to the page; nothing to install."""

import textwrap

WIDTH, HEIGHT, MARGIN = 612, 792, 64  # US Letter, in points
LEADING = {"title": 26, "heading": 20, "text": 15}
SIZE = {"title": 20, "heading": 14, "text": 11}
WRAP = {"title": 44, "heading": 60, "text": 88}


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return text.encode("cp1252", "replace").decode("latin-1")


def _lines(blocks):
    for style, text in blocks:
        for line in textwrap.wrap(text, WRAP[style]) or [""]:
            yield style, line
        yield "gap", ""


def _pages(blocks):
    pages, current, y = [], [], HEIGHT - MARGIN
    for style, line in _lines(blocks):
        step = 8 if style == "gap" else LEADING[style]
        if y - step < MARGIN:
            pages.append(current)
            current, y = [], HEIGHT - MARGIN
        y -= step
        if style != "gap":
            font = "F2" if style in ("title", "heading") else "F1"
            current.append(f"BT /{font} {SIZE[style]} Tf {MARGIN} {y} Td ({_escape(line)}) Tj ET")
    pages.append(current)
    return pages


def build(blocks: list[tuple[str, str]]) -> bytes:
    """`blocks` are (style, text) with style "title", "heading" or "text"."""
    pages = _pages(blocks)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        None,  # the page tree, once the page objects are numbered
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for commands in pages:
        stream = "\n".join(commands).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % (WIDTH, HEIGHT, content)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def from_markdown(title: str, body: str) -> bytes:
    """The guide's Markdown (## headings and paragraphs) as a PDF."""
    blocks = [("title", title)]
    for paragraph in body.split("\n\n"):
        paragraph = paragraph.strip()
        if paragraph.startswith("## "):
            blocks.append(("heading", paragraph[3:]))
        elif paragraph:
            blocks.append(("text", " ".join(paragraph.split())))
    return build(blocks)
