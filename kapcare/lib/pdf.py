"""PDF copies of documents (consents, summaries) from HTML, through WeasyPrint.

WeasyPrint never fetches anything here: the HTML is rendered from our own templates with its
styles inline in a <style> element (a PDF is not served under the site's CSP), and the URL fetcher
refuses every request so a document cannot reach the network.
"""

import hashlib


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"PDF rendering does not fetch {url!r}")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
