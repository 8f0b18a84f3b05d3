package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/internal/pdfiumcheck"
	"github.com/reviewer-app/reviewer/pages"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/storage"
)

// viewerEnv is a reviewer started through the one wiring (every worker
// running) with a signed-in session.
type viewerEnv struct {
	url      string
	store    *storage.Store
	renderer *pages.Renderer
	desk     *desk.Desk
	handler  http.Handler
	cookie   *http.Cookie
	close    func()
}

func newViewerEnv(ctx context.Context, dir, db string) (*viewerEnv, error) {
	in, stop, err := start(ctx, dir, db)
	if err != nil {
		return nil, err
	}
	e := &viewerEnv{url: in.URL, store: in.Store, renderer: in.Renderer, desk: in.Desk, handler: in.Server, close: stop}
	if e.cookie, err = e.signIn(ctx, "bench@example.com"); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// signIn creates a reviewer and returns a session cookie of theirs.
func (e *viewerEnv) signIn(ctx context.Context, email string) (*http.Cookie, error) {
	return e.signInAs(ctx, email, review.RoleReviewer)
}

// createUser puts a person of the role in the store, with the password
// every bench person signs in with, hashed as the desk hashes.
func (e *viewerEnv) createUser(ctx context.Context, email string, role review.Role) error {
	hash, err := e.desk.Passwords.Hash("a long enough password")
	if err != nil {
		return err
	}
	_, err = e.store.CreateUser(ctx, email, "", role, hash)
	return err
}

// signInAs creates a person of the role and returns a session cookie of theirs.
func (e *viewerEnv) signInAs(ctx context.Context, email string, role review.Role) (*http.Cookie, error) {
	// Instances sharing a database share their people too.
	if err := e.createUser(ctx, email, role); err != nil && review.ErrorCode(err) != review.ECONFLICT {
		return nil, err
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", bytes.NewBufferString(url.Values{"email": {email}, "password": {"a long enough password"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	e.handler.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		return nil, fmt.Errorf("bench sign-in failed: %d", rec.Code)
	}
	return cookies[0], nil
}

// post sends a JSON body in process and returns the time the server took.
func (e *viewerEnv) post(path, body string) (time.Duration, *httptest.ResponseRecorder) {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", "http://example.com")
	req.Host = "example.com"
	req.AddCookie(e.cookie)
	rec := httptest.NewRecorder()
	t0 := time.Now()
	e.handler.ServeHTTP(rec, req)
	return time.Since(t0), rec
}

// times serves path 220 times in process and returns the server's time of
// the last 200 (the first warm the caches).
func (e *viewerEnv) times(path string) ([]time.Duration, error) { return e.timesN(path, 200) }

// timesN serves path n+20 times in process and returns the server's time
// of the last n.
func (e *viewerEnv) timesN(path string, n int) ([]time.Duration, error) {
	var ds []time.Duration
	for i := range n + 20 {
		d, rec := e.get(path)
		if rec.Code != 200 {
			return nil, fmt.Errorf("%s: %d", path, rec.Code)
		}
		if i >= 20 {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// get serves one request in process and returns the time the server took.
func (e *viewerEnv) get(path string) (time.Duration, *httptest.ResponseRecorder) {
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(e.cookie)
	rec := httptest.NewRecorder()
	t0 := time.Now()
	e.handler.ServeHTTP(rec, req)
	return time.Since(t0), rec
}

// arrive stores a document as fileID and measures it, as ingest does after
// a fetch, and returns its hash and how long measuring took.
func (e *viewerEnv) arrive(ctx context.Context, fileID string, doc []byte) (string, time.Duration, error) {
	hash, err := e.store.PutFile(ctx, fileID, bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return "", 0, err
	}
	t0 := time.Now()
	_, err = e.desk.Measure(ctx, hash)
	return hash, time.Since(t0), err
}

// benchViewer measures the document viewer's server side: the first page
// image of a 300-page PDF cold and cached, page rendering, and the review
// page of a run with 50 fields and 500 references.
func benchViewer(ctx context.Context, log io.Writer) ([]result, error) {
	dir, err := os.MkdirTemp("", "reviewer-bench-viewer-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	e, err := newViewerEnv(ctx, dir, "")
	if err != nil {
		return nil, err
	}
	defer e.close()

	pdf := manyPagePDF(300)
	// Measured when it arrives, then the first page asked for cold.
	hash, measure, err := e.arrive(ctx, "file_bench_300", pdf)
	if err != nil {
		return nil, err
	}
	cold, rec := e.get("/pages/" + hash + "/1?w=1000")
	if rec.Code != 200 {
		return nil, fmt.Errorf("first page: %d %s", rec.Code, rec.Body)
	}
	var cached []time.Duration
	for range 200 {
		d, rec := e.get("/pages/" + hash + "/1?w=1000")
		if rec.Code != 200 {
			return nil, fmt.Errorf("cached page: %d", rec.Code)
		}
		cached = append(cached, d)
	}
	// Rendering other pages of the open document (not cached yet).
	var renders []time.Duration
	for p := 2; p <= 11; p++ {
		d, rec := e.get(fmt.Sprintf("/pages/%s/%d?w=1000", hash, p))
		if rec.Code != 200 {
			return nil, fmt.Errorf("page %d: %d", p, rec.Code)
		}
		renders = append(renders, d)
	}
	// Baseline: reading the same cached PNG straight from disk.
	var raw []time.Duration
	files, _ := filepath.Glob(filepath.Join(dir, "pages", hash[:2], hash, "1-1000.png"))
	for range 200 {
		t0 := time.Now()
		if _, err := os.ReadFile(files[0]); err != nil {
			return nil, err
		}
		raw = append(raw, time.Since(t0))
	}
	fmt.Fprintf(log, "300-page PDF: measured on arrival in %s; first page cold %s, cached p50 %s p99 %s, render p50 %s\n", ms(measure), ms(cold), ms(percentile(cached, 50)), ms(percentile(cached, 99)), ms(percentile(renders, 50)))
	checks, err := benchChecks(ctx, e.renderer, dir, hash, pdf)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "drawing pages directly: checked p50 %s, without termination checks p50 %s (%s)\n", ms(percentile(checks.checked, 50)), ms(percentile(checks.unchecked, 50)), checks.started)

	runID, err := loadBigRun(ctx, e)
	if err != nil {
		return nil, err
	}
	var page []time.Duration
	for i := range 120 {
		d, rec := e.get("/runs/" + runID)
		if rec.Code != 200 {
			return nil, fmt.Errorf("review page: %d", rec.Code)
		}
		if n := strings.Count(rec.Body.String(), `class="box `); i == 0 && n != 500 {
			return nil, fmt.Errorf("the review page draws %d boxes, want the run's 500", n)
		}
		if i >= 20 { // after the first document inspection
			page = append(page, d)
		}
	}
	fmt.Fprintf(log, "review page, 50 fields / 500 references: p50 %s p99 %s\n", ms(percentile(page, 50)), ms(percentile(page, 99)))
	// A reviewer's change to that run: saved (a durable commit), answered
	// with the page's parts the page swaps in (every section, the marks of
	// every page, the history).
	var saves []time.Duration
	for i := range 60 {
		body := fmt.Sprintf(`{"version":%d,"outputId":"exr_%s","path":"field_%02d","text":"corrected %d","how":"typed"}`, i, runID, i%50, i)
		d, rec := e.post("/runs/"+runID+"/edits", body)
		if rec.Code != 200 {
			return nil, fmt.Errorf("save %d: %d %s", i, rec.Code, rec.Body)
		}
		saves = append(saves, d)
	}
	fmt.Fprintf(log, "a saved change answered with the page's parts: p50 %s p99 %s\n", ms(percentile(saves, 50)), ms(percentile(saves, 99)))
	// The browser: a fresh document (its first page not rendered yet).
	fresh, err := loadBigRunOn(ctx, e, "workflow_run_bench_paint", "file_bench_paint", manyPagePDF(300))
	if err != nil {
		return nil, err
	}
	first, again, err := browserFirstPaint(ctx, e, fresh)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "browser: first page image painted %s after navigation (first visit), %s p50 later\n", ms(first), ms(percentile(again, 50)))
	return []result{
		{Name: "a 300-page PDF measured on arrival (open, every page's size), then its first page image asked for cold (render 1000 px, encode PNG)", Value: fmt.Sprintf("%s, then %s", ms(measure), ms(cold)), Goal: "< 150 ms together", Met: meets(measure+cold < 150*time.Millisecond)},
		{Name: "a cached page image, p50 (p99), in-process request", Value: fmt.Sprintf("%s (%s)", ms(percentile(cached, 50)), ms(percentile(cached, 99))),
			Baseline: fmt.Sprintf("%s p50 reading the same PNG from disk", ms(percentile(raw, 50))), Goal: "< 2 ms",
			Ratio: ratio(float64(percentile(cached, 50)), float64(percentile(raw, 50))) + " (p50s)", Met: meets(percentile(cached, 50) < 2*time.Millisecond)},
		{Name: "rendering a page of an open PDF, p50 (p99), 1000 px PNG; beside it the same pages drawn directly by the product's PDFium and by one compiled without wazero's termination checks (CloseOnContextDone off), in turns", Value: fmt.Sprintf("%s (%s); directly %s (%s)", ms(percentile(renders, 50)), ms(percentile(renders, 99)), ms(percentile(checks.checked, 50)), ms(percentile(checks.checked, 99))),
			Baseline: fmt.Sprintf("%s (%s) without the checks; %s", ms(percentile(checks.unchecked, 50)), ms(percentile(checks.unchecked, 99)), checks.started),
			Ratio:    ratio(float64(percentile(checks.checked, 50)), float64(percentile(checks.unchecked, 50))) + " (direct p50s)", Goal: ""},
		{Name: "review page, run with 50 fields and 500 references, server time p50 (p99)", Value: fmt.Sprintf("%s (%s)", ms(percentile(page, 50)), ms(percentile(page, 99))), Goal: "< 10 ms", Met: meets(percentile(page, 50) < 10*time.Millisecond)},
		{Name: "a change saved on that run (a durable commit), answered with the page's parts to swap in: every section, the marks of every page, the history; server time p50 (p99)", Value: fmt.Sprintf("%s (%s)", ms(percentile(saves, 50)), ms(percentile(saves, 99))),
			Baseline: fmt.Sprintf("%s p50 for the whole review page (above)", ms(percentile(page, 50))), Goal: "< 25 ms",
			Ratio: ratio(float64(percentile(saves, 50)), float64(percentile(page, 50))) + " (p50s)", Met: meets(percentile(saves, 50) < 25*time.Millisecond)},
		{Name: "Chromium: navigation to the first page image painted, 300-page PDF, 500 references; first visit (page rendered cold) / later visits p50", Value: fmt.Sprintf("%s / %s", ms(first), ms(percentile(again, 50))), Baseline: "", Goal: ""},
	}, nil
}

// checkCost is what wazero's termination checks cost a page: the same
// pages drawn by the product's renderer and by one without the checks.
type checkCost struct {
	checked, unchecked []time.Duration
	started            string // how the unchecked PDFium started: compiled in this run, or from the cache
}

// checkedPages is how many pages each renderer draws for checkCost: pages
// 12 on of the 300, which the requests before did not draw.
const checkedPages = 40

// benchChecks draws checkedPages pages of the open 300-page PDF (hash) at
// 1000 px, in turns by r (checked, as the product always runs) and by a
// renderer started without termination checks, with the same options, in
// the bench's compilation cache: PDFium is compiled without the checks once
// per machine, and the figure says when this run paid for it.
func benchChecks(ctx context.Context, r *pages.Renderer, dir, hash string, pdf []byte) (checkCost, error) {
	var c checkCost
	file := filepath.Join(dir, "checks-"+hash)
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		return c, err
	}
	cache := compileCache()
	before := cacheFiles(cache)
	u, err := pages.Open(pdfiumcheck.Unchecked(ctx), filepath.Join(dir, "unchecked"), pages.Options{CompileCache: cache})
	if err != nil {
		return c, err
	}
	defer u.Close()
	t0 := time.Now()
	// Started, and the document opened in an instance, as it is in r's.
	if _, err := u.PNG(ctx, hash, file, 1, pages.FirstWidth); err != nil {
		return c, err
	}
	c.started = fmt.Sprintf("its PDFium started from the cache in %s", ms(time.Since(t0)))
	if cacheFiles(cache) > before {
		c.started = fmt.Sprintf("its PDFium compiled in this run in %s (kept in %s for later runs)", time.Since(t0).Round(100*time.Millisecond), cache)
	}
	type build struct {
		name string
		r    *pages.Renderer
		out  *[]time.Duration
	}
	builds := []build{{"checked", r, &c.checked}, {"unchecked", u, &c.unchecked}}
	for p := 12; p < 12+checkedPages; p++ {
		// Each goes first every other page, so neither gains from the
		// other's warmth; the label tells them apart in -cpuprofile
		// (go tool pprof -tagfocus build=unchecked).
		for i := range builds {
			d := builds[(p+i)%2]
			var err error
			pprof.Do(ctx, pprof.Labels("build", d.name), func(ctx context.Context) {
				t0 := time.Now()
				_, err = d.r.PNG(ctx, hash, file, p, pages.FirstWidth)
				*d.out = append(*d.out, time.Since(t0))
			})
			if err != nil {
				return c, fmt.Errorf("page %d: %w", p, err)
			}
		}
	}
	return c, nil
}

// cacheFiles counts the files in a compilation cache: one more after a
// start means that start compiled.
func cacheFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// loadBigRun ingests a run with 50 fields of 10 references each over the
// 1-page AWS invoice, through the worker, and returns its id.
func loadBigRun(ctx context.Context, e *viewerEnv) (string, error) {
	doc, err := demo.File("AmazonWebServices.pdf")
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(doc)
	if err != nil {
		return "", err
	}
	return loadBigRunOn(ctx, e, "workflow_run_bench_page", "file_bench_aws", b)
}

// loadBigRunOn ingests a run with 50 fields of 10 references each over the
// given PDF and returns its id.
func loadBigRunOn(ctx context.Context, e *viewerEnv, runID, fileID string, pdf []byte) (string, error) {
	return loadCited(ctx, e, runID, fileID, pdf, 50, func(i, j int) (x, y, w, h float64) {
		return 40, 60 + float64(j)*70 + float64(i), 160, 9
	})
}

// loadCited ingests a run of n fields with 10 references each on page one of
// the given PDF, reference j of field i where at places it (points), and
// returns its id.
func loadCited(ctx context.Context, e *viewerEnv, runID, fileID string, pdf []byte, n int, at func(i, j int) (x, y, w, h float64)) (string, error) {
	var value, meta bytes.Buffer
	value.WriteString("{")
	meta.WriteString("{")
	digits := len(fmt.Sprint(n - 1))
	for i := range n {
		if i > 0 {
			value.WriteString(",")
			meta.WriteString(",")
		}
		fmt.Fprintf(&value, `"field_%0*d":"value %d"`, digits, i, i)
		fmt.Fprintf(&meta, `"field_%0*d":{"ocrConfidence":0.%02d,"citations":[`, digits, i, 50+i%50)
		for j := range 10 {
			if j > 0 {
				meta.WriteString(",")
			}
			x, y, w, h := at(i, j)
			fmt.Fprintf(&meta, `{"page":{"number":1,"width":612,"height":792},"polygon":[{"x":%g,"y":%g},{"x":%g,"y":%g},{"x":%g,"y":%g},{"x":%g,"y":%g}],"referenceText":"text %d"}`, x, y, x+w, y, x+w, y+h, x, y+h, j)
		}
		meta.WriteString("]}")
	}
	value.WriteString("}")
	meta.WriteString("}")
	return loadRun(ctx, e, runID, fileID, pdf, value.Bytes(), meta.Bytes())
}

// loadRun ingests a run of one extraction (its value and metadata) over
// the given PDF, through the worker, and returns its id.
func loadRun(ctx context.Context, e *viewerEnv, runID, fileID string, pdf, value, meta []byte) (string, error) {
	payload := fmt.Sprintf(`{"object":"workflow_run","id":%q,"status":"NEEDS_REVIEW","workflow":{"id":"wf","name":"Bench"},
		"files":[{"id":%q,"name":"bench.pdf","type":"PDF"}],
		"stepRuns":[{"id":"wsr_%s","step":{"name":"extract","type":"EXTRACT"},"result":{"extractRun":{"id":"exr_%s","output":{"value":%s,"metadata":%s}}}}]}`,
		runID, fileID, runID, runID, value, meta)
	hash, err := e.store.PutFile(ctx, fileID, bytes.NewReader(pdf), 1<<30)
	if err != nil {
		return "", err
	}
	if _, err := e.desk.Measure(ctx, hash); err != nil { // as ingest does on arrival
		return "", err
	}
	if err := e.desk.DrawFirst(ctx, hash); err != nil { // as ingest does after, when it has time
		return "", err
	}
	body := demo.Event("evt_"+runID, review.EventRunNeedsReview, []byte(payload))
	ev, err := review.DecodeEvent(body)
	if err != nil {
		return "", err
	}
	if _, err := e.store.AppendEvent(ctx, ev, body); err != nil {
		return "", err
	}
	// The instance's ingest worker applies it.
	for {
		c, err := e.store.EventCounts(ctx)
		if err != nil {
			return "", err
		}
		if c["pending"] == 0 {
			return runID, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// manyPagePDF writes a valid PDF of n text pages (Helvetica, no embedded
// fonts), so the benchmark needs no document it cannot ship.
func manyPagePDF(n int) []byte { return manyPagePDFOf(n, "a long document") }

// manyPagePDFOf is manyPagePDF with title in each page's lines: another
// title, another document (another hash, nothing of it cached).
func manyPagePDFOf(n int, title string) []byte {
	// 1: catalog, 2: pages, 3: font; then per page a page and its content.
	kids := ""
	for i := range n {
		kids += fmt.Sprintf("%d 0 R ", 4+2*i)
	}
	objs := [][]byte{
		hostile.Obj("<< /Type /Catalog /Pages 2 0 R >>"),
		hostile.Obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s] >>", n, kids)),
		hostile.Obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
	}
	for i := range n {
		objs = append(objs, hostile.Obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i)))
		var text bytes.Buffer
		fmt.Fprintf(&text, "BT /F1 28 Tf 72 700 Td (Page %d of %d) Tj ET\n", i+1, n)
		for l := range 40 {
			fmt.Fprintf(&text, "BT /F1 10 Tf 72 %d Td (Line %d of %s, with numbers 1234.56 and words.) Tj ET\n", 660-l*14, l+1, title)
		}
		objs = append(objs, hostile.Stream("", text.Bytes()))
	}
	return hostile.PDF(objs...)
}
