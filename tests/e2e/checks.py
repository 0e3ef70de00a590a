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


TEXT_CONTRAST = """(selector) => {
  const rgba = (css) => {
    const parts = css.match(/[\\d.]+/g).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]));
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map(v => v / 255).map(
      v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const failures = [];
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      const text = [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
        .map(n => n.textContent).join('').trim();
      if (!text || !el.checkVisibility() || el.closest('.visually-hidden')) continue;
      // The backgrounds behind the text, painted from the first opaque one up; the text
      // is faded by the opacity of every box between it and that background.
      const layers = [];
      let opacity = 1;
      for (let box = el; box; box = box.parentElement) {
        const style = getComputedStyle(box);
        const colour = rgba(style.backgroundColor);
        if (colour[3] > 0) layers.unshift(colour);
        if (colour[3] === 1) break;
        opacity *= Number(style.opacity);
      }
      const background = layers.reduce((under, top) => over(top, under), [255, 255, 255]);
      const style = getComputedStyle(el);
      const colour = rgba(style.color);
      const foreground = over([...colour.slice(0, 3), colour[3] * opacity], background);
      const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
      const ratio = (light + 0.05) / (dark + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) failures.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}:1`);
    }
  }
  return failures;
}"""


def assert_text_contrast(page, selector):
    """Every visible text inside ``selector`` stands out from its background by 4.5:1 (3:1
    when large), as WCAG 1.4.3 asks; opacity counts, background images do not."""
    assert page.locator(selector).count(), f"nothing matches {selector} on {page.url}"
    failures = page.evaluate(TEXT_CONTRAST, selector)
    assert failures == [], f"{selector} on {page.url}: {failures}"
