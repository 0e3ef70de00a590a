"""Checks a person would make, as functions the journeys call on each page."""

LABEL_CHECK = """() => {
  const unlabelled = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('template')) continue;
    const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!labelled) unlabelled.push(el.name || el.id || el.outerHTML.slice(0, 60));
  }
  return unlabelled;
}"""


def assert_every_control_labelled(page):
    assert page.evaluate(LABEL_CHECK) == [], page.url


def assert_no_horizontal_scroll(page, width: int):
    """The page fits ``width`` pixels: wide tables and the board scroll in their own boxes,
    never the whole page."""
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{page.url} scrolls {overflow}px sideways at {width} px"
    finally:
        page.set_viewport_size(original)


def assert_no_horizontal_scroll_at_375(page):
    """Public pages fit a 375 px phone without sideways scrolling."""
    assert_no_horizontal_scroll(page, 375)


def check_public_page(page):
    assert_every_control_labelled(page)
    assert_no_horizontal_scroll_at_375(page)
