"""Markdown written by clinic staff, turned into HTML that is safe to put on a public page."""

import markdown as md
import nh3

TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br", "hr",
    "table", "thead", "tbody", "tr", "th", "td", "code",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render(text: str) -> str:
    """Markdown to HTML with only the tags a page needs: no scripts, styles, images or event handlers."""
    html = md.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
