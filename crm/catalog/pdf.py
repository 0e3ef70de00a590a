"""HTML to PDF with WeasyPrint, fetching nothing from the network or the disk.

Shared by the spec sheets and the quotes: ``html_to_pdf(render_template(...))``. The HTML is a
complete document with its styles inline; the only resources it may embed are ``data:`` URLs.
"""

from functools import cache


@cache
def _data_only_fetcher_class():
    # WeasyPrint is imported on the first PDF, not at start-up: it takes about a second,
    # and a site whose PDF libraries are broken should still serve its pages.
    from weasyprint.urls import URLFetcher

    class DataOnlyURLFetcher(URLFetcher):
        """Loads ``data:`` URLs and refuses everything else (http, https, file, ftp…).

        A refused resource is left out of the PDF (WeasyPrint logs a warning); it is never
        fetched, so no value in a template can make the server open a file or a connection.
        """

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise ValueError(f"Only data: URLs are loaded in PDFs, not {url[:80]!r}")
            return super().fetch(url, headers)

    return DataOnlyURLFetcher


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document to PDF bytes (``%PDF-…``).

    Relative links have no base (``base_url=None``) and only ``data:`` URLs are loaded, so
    the document must carry its own ``<style>``; images, if any, as ``data:`` URLs.
    """
    from weasyprint import HTML

    fetcher = _data_only_fetcher_class()(allowed_protocols=("data",), allow_redirects=False,
                                         timeout=5)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
