"""The public pages and the text they ship with.

Each page's shipped text is a Markdown file in `content/` with a small header (title, nav label,
meta description). A clinic's admin can replace it in the staff app; until then the shipped text
is what the site shows.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kapcare.website.markdown import render

CONTENT = Path(__file__).parent / "content"

# (slug, URL path) in the order the site's navigation lists them.
PAGES = [
    ("about", "what-is-kap/"),
    ("how-it-works", "how-it-works/"),
    ("conditions", "conditions/"),
    ("routes-and-setting", "routes-and-setting/"),
    ("benefits-and-risks", "benefits-and-risks/"),
    ("who-it-is-not-for", "who-it-is-not-for/"),
    ("preparing", "preparing/"),
    ("in-clinic-or-at-home", "in-clinic-or-at-home/"),
    ("insurance-and-costs", "insurance-and-costs/"),
]
SLUGS = [slug for slug, _ in PAGES]


@dataclass(frozen=True)
class ShippedPage:
    slug: str
    title: str
    nav: str
    description: str
    body: str

    @property
    def body_html(self) -> str:
        return rendered(self.slug)


def read(path: Path) -> tuple[dict, str]:
    head, _, body = path.read_text().partition("\n---\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return fields, body.strip()


@cache
def shipped(slug: str) -> ShippedPage:
    fields, body = read(CONTENT / f"{slug}.md")
    return ShippedPage(
        slug=slug,
        title=fields["title"],
        nav=fields.get("nav", fields["title"]),
        description=fields.get("description", ""),
        body=body,
    )


@cache
def rendered(slug: str) -> str:
    return render(shipped(slug).body)


@cache
def shipped_faqs() -> list[tuple[str, str]]:
    """(question, answer Markdown) pairs from content/faq.md, one `## question` heading each."""
    text = (CONTENT / "faq.md").read_text()
    pairs = []
    for block in text.split("## ")[1:]:
        question, _, answer = block.partition("\n")
        pairs.append((question.strip(), answer.strip()))
    return pairs
