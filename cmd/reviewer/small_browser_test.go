package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewer-app/reviewer/review"
)

// The small findings of the third round, each as a person meets it.

// TestWrongPasswordKeepsTheEmail: after a wrong password the email stands
// and the cursor is in the emptied password, so the right one is typed
// straight away.
func TestWrongPasswordKeepsTheEmail(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ada@example.com", review.RoleReviewer)
	ctx := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")), settled()); err != nil {
		t.Fatal(err)
	}
	typeText(t, ctx, "ada@example.com")
	press(t, ctx, kb.Tab)
	typeText(t, ctx, "not the password")
	press(t, ctx, kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".flash.error")), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.activeElement.id !== ""`, "nothing has focus after a wrong password")
	if a := js(t, ctx, `document.activeElement.id + " " + JSON.stringify(document.getElementById("password").value) + " " + document.getElementById("email").value`); a != `password "" ada@example.com` {
		t.Fatalf("after a wrong password: %s (focus, password, email)", a)
	}
	typeText(t, ctx, testPassword)
	press(t, ctx, kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".topbar nav"))); err != nil {
		t.Fatal(err)
	}
}

// ratioJS declares ratio(a, b), WCAG's contrast ratio of two [r, g, b]
// colours.
const ratioJS = `const lum = (rgb) => rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);`

// contrastJS is the contrast ratio of an element's text against the
// background it is drawn on (the first ancestor that paints one).
const contrastJS = `((el) => {
  ` + ratioJS + `
  const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
  let bg = el;
  while (bg && getComputedStyle(bg).backgroundColor.replace(/\s/g, "").match(/rgba\(0,0,0,0\)|transparent/)) bg = bg.parentElement;
  return ratio(rgb(getComputedStyle(el).color), rgb(getComputedStyle(bg).backgroundColor));
})`

// TestReviewPageSmallThings: the review page holds no empty alerts, names
// every icon button, draws the help link readably on the top bar, shows
// the live dot as connected; the attention filter leaves no heading with
// nothing under it. Pages that follow nothing live show no live dot.
func TestReviewPageSmallThings(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	ctx := openRun(t, s, "rev@example.com", runAWS)
	if n := js(t, ctx, `String([...document.querySelectorAll('[role="alert"]')].filter((e) => !e.textContent.trim()).length)`); n != "0" {
		t.Errorf("the review page holds %s empty alerts", n)
	}
	if b := js(t, ctx, `[...document.querySelectorAll("button")].filter((b) => !/[A-Za-z]{2}/.test(b.textContent) && !b.getAttribute("aria-label") && !b.getAttribute("aria-labelledby")).map((b) => b.outerHTML.slice(0, 80)).join("\n")`); b != "" {
		t.Errorf("buttons named only by their title or a symbol:\n%s", b)
	}
	if c := atof(js(t, ctx, `String(`+contrastJS+`(document.querySelector(".topbar [data-help]")))`)); c < 4.5 {
		t.Errorf("the top bar's help link is %.2f:1", c)
	}
	waitFor(t, ctx, `document.getElementById("live").dataset.live === "on" && document.getElementById("live").offsetParent !== null`, "the live dot does not say the page is connected")

	// The attention filter, by key.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#attention-only"))); err != nil {
		t.Fatal(err)
	}
	press(t, ctx, " ")
	waitFor(t, ctx, `document.body.classList.contains("attention-only")`, "Space did not filter the fields")
	if e := js(t, ctx, `(() => {
  const shown = (e) => e.offsetParent !== null;
  const out = [];
  for (const o of document.querySelectorAll(".outputs .output")) {
    if (shown(o) && ![...o.querySelectorAll(".field:not(.container), .splits-editor")].some(shown)) out.push("section " + o.querySelector("h2").textContent);
  }
  for (const g of document.querySelectorAll(".outputs .grid")) {
    if (shown(g) && ![...g.querySelectorAll("tbody tr")].some(shown)) out.push("grid " + g.closest(".field").dataset.path);
  }
  return out.join(", ");
})()`); e != "" {
		t.Errorf("with only fields needing attention these headings show nothing: %s", e)
	}

	for _, p := range []string{"/admin/users", "/decided"} {
		s.user("admin"+strings.Trim(p, "/")+"@example.com", review.RoleAdmin)
	}
	actx := browser(t)
	signIn(t, actx, s.base, "adminadmin/users@example.com")
	if err := chromedp.Do(actx, chromedp.Navigate(s.base+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("main")), settled()); err != nil {
		t.Fatal(err)
	}
	if v := js(t, actx, `String(document.getElementById("live").offsetParent !== null)`); v != "false" {
		t.Errorf("the users page, which follows nothing live, shows the live dot")
	}
}

// TestDashboardCorrectionsFit: the "Fields corrected most" card shows its
// every column whole at 1024 and 1440 px, with a long field path in it (a
// line item's, once one is corrected).
func TestDashboardCorrectionsFit(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	rctx := openRun(t, s, "rev@example.com", runQH)
	focusField(t, rctx, "line_items[0].description")
	typeText(t, rctx, "Setup")
	press(t, rctx, kb.Enter)
	waitSaved(t, rctx)
	approveByKey(t, rctx, runQH)
	s.user("sup@example.com", review.RoleSupervisor)
	ctx := browser(t)
	signIn(t, ctx, s.base, "sup@example.com")
	for _, w := range []int64{1024, 1440} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(s.base+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".dash-grid")), settled()); err != nil {
			t.Fatal(err)
		}
		cut := js(t, ctx, `(() => {
  const out = [];
  for (const sec of document.querySelectorAll(".dash-grid section")) {
    const right = sec.getBoundingClientRect().right;
    for (const c of sec.querySelectorAll("th, td")) if (c.getBoundingClientRect().right > right + 1) { out.push(sec.querySelector("h2").textContent + ": " + c.textContent.trim()); break; }
  }
  return out.join("\n");
})()`)
		if cut != "" {
			t.Errorf("at %d px these cards cut their tables:\n%s", w, cut)
		}
	}
}

// TestTopBarFits: at 1024 and 1440 px the top bar shows every link and the
// person's name, help and Sign out whole and inside the window, for each
// role (an admin has the most links): at 1024 an admin's Sign out was past
// the window's edge and a supervisor's wrapped onto two lines.
func TestTopBarFits(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, role := range []review.Role{review.RoleReviewer, review.RoleSupervisor, review.RoleAdmin} {
		email := string(role) + "@example.com"
		s.named(email, "Maria Fernanda Oliveira", role)
		ctx := browser(t)
		signIn(t, ctx, s.base, email)
		for _, w := range []int64{1024, 1440} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(s.base+"/decided"), chromedp.WaitVisible(chromedp.CSS(".topbar nav")), settled()); err != nil {
				t.Fatal(err)
			}
			bad := js(t, ctx, `(() => {
  const out = [];
  for (const e of document.querySelectorAll(".topbar a, .topbar button, .topbar .who > span:not(.live-dot)")) {
    const r = e.getBoundingClientRect(), name = e.textContent.trim() || e.getAttribute("aria-label");
    if (r.right > innerWidth || r.left < 0) out.push(name + " is outside the window");
    else if (e.getClientRects().length > 1 || r.height > 40) out.push(name + " wraps");
  }
  return out.join(", ");
})()`)
			if bad != "" {
				t.Errorf("%s at %d px: %s", role, w, bad)
			}
		}
	}
}

// TestRejectedRunSaysWhy: a rejected run's notice says why, whole, at
// 1024 px: the note was only in the header's pill, cut to "Not ours: a
// returned …" there, readable on hover alone.
func TestRejectedRunSaysWhy(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--demo")
	const run = "workflow_run_demo_article_bounced_2026"
	note := strings.Trim(at(t, s.apiGet("/api/v1/runs/"+run), "rejectionNote"), `"`)
	if note == "" {
		t.Fatal("the demo's rejected run has no note")
	}
	s.user("rev@example.com", review.RoleReviewer)
	ctx := browser(t)
	signIn(t, ctx, s.base, "rev@example.com")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 900), chromedp.Navigate(s.base+"/runs/"+run), chromedp.WaitVisible(chromedp.CSS("#locked")), settled()); err != nil {
		t.Fatal(err)
	}
	if said := js(t, ctx, `document.getElementById("locked").innerText`); !strings.Contains(said, note) {
		t.Errorf("the rejected run says %q, not its note %q", said, note)
	}
}
