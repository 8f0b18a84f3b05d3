package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// firstAttentionJS is the path of the first field needing attention that
// the cursor can go to, in the page's order.
const firstAttentionJS = `[...document.querySelectorAll(".outputs .field.attention")].find((f) => !f.classList.contains("container") && f.querySelector(".ed:not([disabled]), .sp:not([disabled])") && f.offsetParent)?.dataset.path || ""`

// centredJS says how far, in px, the focused field's box is from where
// centring it in the document's view would put it, as far as the view
// scrolls; and whether it is in view at all.
const centredJS = `(() => {
  const v = document.getElementById("pages");
  const box = [...document.querySelectorAll(".pages .box.active")].find((b) => b.offsetParent);
  if (!box) return "no active box";
  const vr = v.getBoundingClientRect(), br = box.getBoundingClientRect();
  const cx = br.left + br.width / 2 - vr.left + v.scrollLeft, cy = br.top + br.height / 2 - vr.top + v.scrollTop;
  const clamp = (x, hi) => Math.max(0, Math.min(x, hi));
  const wantLeft = clamp(cx - v.clientWidth / 2, v.scrollWidth - v.clientWidth), wantTop = clamp(cy - v.clientHeight / 2, v.scrollHeight - v.clientHeight);
  const off = Math.max(Math.abs(v.scrollLeft - wantLeft), Math.abs(v.scrollTop - wantTop));
  return off <= 2 ? "" : "the box is " + Math.round(off) + " px from the middle";
})()`

// boxContrastJS lists the box colours the active box's outline is below
// 3:1 against: the page's white and every other box's border, as drawn on
// it; and "a box as thick" if another box's border is as thick as it.
const boxContrastJS = `(() => {
  const rgba = (c) => { const v = c.match(/[\d.]+/g).map(Number); return v.length > 3 ? v : [...v, 1]; };
  const over = ([r, g, b, a]) => [r, g, b].map((x) => x * a + 255 * (1 - a));
  ` + ratioJS + `
  const active = document.querySelector(".pages .box.active");
  const cs = getComputedStyle(active), mine = over(rgba(cs.outlineColor)), thick = parseFloat(cs.outlineWidth);
  const out = [];
  if (ratio(mine, [255, 255, 255]) < 3) out.push("the page");
  for (const b of document.querySelectorAll(".pages .box:not(.active)")) {
    if (!b.offsetParent) continue;
    const c = getComputedStyle(b).borderTopColor;
    if (ratio(mine, over(rgba(c))) < 3 && !out.includes(c)) out.push(c);
    if (parseFloat(getComputedStyle(b).borderTopWidth) >= thick) out.push("a box as thick");
  }
  return [...new Set(out)].join(", ");
})()`

// TestRunOpensInAField: a run opens with the cursor in its first field
// needing attention, and so does the next run after a decision: never on
// the page's body.
func TestRunOpensInAField(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	atFirst := func(ctx context.Context, what string) {
		t.Helper()
		want := js(t, ctx, firstAttentionJS)
		if want == "" {
			t.Fatalf("%s: no field needs attention", what)
		}
		waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === `+jsString(want), what+": the cursor is not in the first field needing attention, "+want)
	}
	atFirst(ctx, "the run opened")
	approveByKey(t, ctx, runAWS)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	atFirst(ctx, "after a decision the next run")
}

// TestRunOpensOnTheFieldsBox: the field a run opens in has its box lit and
// in the middle of the view, as when the field is reached by Tab: the
// packet's first field needing attention was read on page 3, so the view
// turns to page 3 rather than staying on page 1 without a lit box.
func TestRunOpensOnTheFieldsBox(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runPacket)
	want := js(t, ctx, firstAttentionJS)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === `+jsString(want), "the cursor is not in the first field needing attention, "+want)
	waitFor(t, ctx, `[...document.querySelectorAll(".pages .box.active")].some((b) => b.offsetParent)`, "no box of "+want+" is lit")
	waitFor(t, ctx, centredJS+` === ""`, "the box of "+want+" is not in the middle of the view")
	waitFor(t, ctx, `document.getElementById("page-now").textContent.trim() === "3"`, "the view is not on page 3, where "+want+" was read")
}

// TestZoomAboutTheFocusedBox: with a field focused, zooming by key and by
// button keeps its box in the middle of the view (as far as the view
// scrolls); the box stands out at 3:1 from the page and from every other
// box, and is the thickest.
func TestZoomAboutTheFocusedBox(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	const field = "line_items[3].amount"
	focusField(t, ctx, field)
	waitFor(t, ctx, `!!document.querySelector('.pages .box.active[data-ref-field="`+field+`"]')`, "the field's box is not marked")
	if bad := js(t, ctx, boxContrastJS); bad != "" {
		t.Errorf("the active box is below 3:1 against, or no thicker than: %s", bad)
	}
	zoom := js(t, ctx, `document.getElementById("zoom-level").textContent`)
	press(t, ctx, "+", chromedp.ModifierAlt)
	press(t, ctx, "+", chromedp.ModifierAlt)
	if z := js(t, ctx, `document.getElementById("zoom-level").textContent`); z == zoom {
		t.Fatalf("Alt++ did not zoom (%s)", z)
	}
	if off := js(t, ctx, centredJS); off != "" {
		t.Fatalf("zoomed in by key: %s", off)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-viewer="zoom-in"]`))); err != nil {
		t.Fatal(err)
	}
	if off := js(t, ctx, centredJS); off != "" {
		t.Fatalf("zoomed in by the button: %s", off)
	}
}
