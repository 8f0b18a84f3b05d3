package main

import (
	"strings"
	"testing"
)

// shownBoxesJS lists the boxes drawn on the pages (not those hidden), in
// the page's order.
const shownBoxesJS = `[...document.querySelectorAll(".pages .box")].filter((b) => b.offsetParent)`

// zoomStepJS zooms the document in twice and says, in that same task,
// which boxes were laid out again (their layout size changed by more than
// a pixel's rounding) and which no
// longer cover the same share of their page; it keeps each box's layout
// width from before in window.zoomedFrom.
const zoomStepJS = `(() => {
  const v = window.reviewerViewer, boxes = ` + shownBoxesJS + `;
  const share = (b) => {
    const p = b.closest(".page").getBoundingClientRect(), r = b.getBoundingClientRect();
    return [(r.left - p.left) / p.width, (r.top - p.top) / p.height, r.width / p.width, r.height / p.height];
  };
  const before = boxes.map((b) => [b.offsetWidth, b.offsetHeight, share(b)]);
  v.setScale(v.scale * 2);
  const out = [];
  boxes.forEach((b, i) => {
    const [w, h, s] = before[i], now = share(b);
    if (Math.abs(b.offsetWidth - w) > 1 || Math.abs(b.offsetHeight - h) > 1) out.push(b.dataset.refField + " laid out again: " + w + "x" + h + " -> " + b.offsetWidth + "x" + b.offsetHeight);
    if (now.some((x, k) => Math.abs(x - s[k]) > 0.002)) out.push(b.dataset.refField + " moved on its page: " + s + " -> " + now);
  });
  window.zoomedFrom = before.map(([w]) => w);
  return boxes.length + " boxes; " + out.slice(0, 5).join("; ");
})()`

// zoomSettledJS: every box is laid out at twice its width from before the
// zoom, and shown at its layout size (not scaled up: its border is drawn
// as thin as the style says).
const zoomSettledJS = `(() => {
  const boxes = ` + shownBoxesJS + `;
  return boxes.length === window.zoomedFrom.length && boxes.every((b, i) =>
    Math.abs(b.offsetWidth - 2 * window.zoomedFrom[i]) <= 2 && Math.abs(b.getBoundingClientRect().width - b.offsetWidth) <= 1);
})()`

// TestZoomLaysOutNoBox: a zoom step restyles and lays out the pages, not
// the boxes on them (one transform of their layer scales them all), so a
// page of 2,000 boxes zooms at the cost of a page of none; in the same
// task every box still covers the same share of its page. Once the zoom
// has settled the boxes are laid out at their new size, so their borders
// are not drawn scaled up.
func TestZoomLaysOutNoBox(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	waitFor(t, ctx, shownBoxesJS+`.length > 3`, "the run shows no boxes")
	const want = " boxes; "
	if got := js(t, ctx, zoomStepJS); !strings.HasSuffix(got, want) {
		t.Fatalf("zoomed in: %s", got)
	}
	waitFor(t, ctx, zoomSettledJS, "the boxes were not laid out at their new size after the zoom")
}
