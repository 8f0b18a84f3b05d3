package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/reviewer-app/reviewer/internal/docx"
	"github.com/reviewer-app/reviewer/internal/hostile"
	"github.com/reviewer-app/reviewer/review"
)

// contentRun sends a run of one file without pages, with fields and their
// citations (text only, as Extend gives for such files) and any more steps
// after the extraction, and uploads the file.
func contentRun(s *server, key, fileType, name string, data []byte, value, metadata map[string]any, steps ...any) {
	s.t.Helper()
	id := "workflow_run_" + key
	s.send("evt_"+id, review.EventRunNeedsReview, map[string]any{
		"object": "workflow_run", "id": id, "status": "NEEDS_REVIEW",
		"workflow": map[string]any{"id": "workflow_t", "name": "Files"},
		"files":    []any{map[string]any{"object": "file", "id": "file_" + key, "name": name, "type": fileType}},
		"stepRuns": append([]any{map[string]any{"id": "workflow_step_run_" + key, "status": "PROCESSED", "step": map[string]any{"name": "extract", "type": "EXTRACT"},
			"result": map[string]any{"extractRun": map[string]any{"object": "extract_run", "id": "exr_" + key, "output": map[string]any{"value": value, "metadata": metadata}}}}}, steps...),
	})
	c := s.client("ana@example.com")
	s.waitRun(c, id)
	s.upload(c, id, "file_"+key, name, data)
}

func citeText(id, text string) map[string]any {
	return map[string]any{"ocrConfidence": 0.6, "citations": []any{map[string]any{"fileId": "file_" + id, "page": map[string]any{"number": 1}, "referenceText": text}}}
}

// TestSheetsAndText: an Excel workbook is shown as its sheet, the cell its
// citation names marked and clickable like a box, the cells Extend's parser
// read marked, with their formulas; clicking a cell puts its
// text in the focused field, and the approved run cites that cell by its
// text; find marks cells. A text file shows its text (HTML as source, its
// script never run). A zip bomb posing as a workbook says so in the
// document's place, and the fields stay editable.
func TestSheetsAndText(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)

	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Invoice")
	f.SetSheetRow("Invoice", "A1", &[]any{"Item", "Qty", "Amount"})
	f.SetSheetRow("Invoice", "A2", &[]any{"Cable", 2, "19.50"})
	f.SetSheetRow("Invoice", "A3", &[]any{"Total", nil, "39.00"})
	book, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	parsedCell := func(ref, text, formula string) map[string]any {
		return map[string]any{"object": "block", "id": "blk_" + ref, "type": "table_cell", "content": text, "polygon": []any{}, "boundingBox": nil,
			"details":  map[string]any{"type": "table_cell_details", "rowIndex": 0, "columnIndex": 0, "cellReference": ref, "formula": formula},
			"metadata": map[string]any{"page": map[string]any{"number": 1}, "sheet": map[string]any{"index": 0, "name": "Invoice"}}}
	}
	parse := map[string]any{"id": "workflow_step_run_parse", "status": "PROCESSED", "step": map[string]any{"name": "parse", "type": "PARSE"},
		"result": map[string]any{"parseRun": map[string]any{"object": "parse_run", "id": "pr_sheet", "file": map[string]any{"object": "file", "id": "file_sheet"},
			"output": map[string]any{"chunks": []any{map[string]any{"object": "chunk", "type": "document", "content": "", "blocks": []any{
				map[string]any{"object": "block", "id": "blk_table", "type": "table", "content": "", "details": map[string]any{"type": "table_details"},
					"metadata": map[string]any{"page": map[string]any{"number": 1}, "sheet": map[string]any{"index": 0, "name": "Invoice"}},
					"children": []any{parsedCell("C2", "19.50", ""), parsedCell("$C$3", "39.00", "=C2*2")}},
			}}}}}}}
	contentRun(s, "sheet", "EXCEL", "invoice.xlsx", book.Bytes(),
		map[string]any{"total": "39.00", "qty": "3"}, map[string]any{"total": citeText("sheet", "39.00")}, parse)
	contentRun(s, "page", "HTML", "notice.html", []byte("<!doctype html><p>Total due: 12.00</p><script>window.__ran = 1</script>\n"),
		map[string]any{"due": "12.00"}, map[string]any{"due": citeText("page", "Total due: 12.00")})
	contentRun(s, "bomb", "EXCEL", "bomb.xlsx", hostile.ZipBomb(1024, true), map[string]any{"total": "1"}, map[string]any{})

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	open := func(id string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_"+id), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
			t.Fatal(err)
		}
	}
	open("sheet")
	cell := `document.querySelector('.content-doc td[data-cell="C3"]')`
	waitFor(t, ctx, cell+`.matches('.box.found-by-text[data-ref-field="total"]') && document.querySelector('.field[data-path="total"] .where').textContent.includes("found by text")`,
		"the cited cell C3 was not marked")
	click := func(js string) {
		t.Helper()
		r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const e = `+js+`; e.scrollIntoView({ block: "center" }); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(r[0], r[1])); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, cell+`.matches(".parsed") && `+cell+`.title.endsWith("\nC3, read by Extend's parser: =C2*2") && document.querySelector('td[data-cell="C2"]').matches(".parsed") && !document.querySelector('td[data-cell="B2"]').matches(".parsed")`,
		"the parsed cells were not marked with their formulas")
	click(cell)
	waitFor(t, ctx, `document.activeElement.closest(".field")?.dataset.path === "total"`, "clicking the cited cell did not focus its field")
	focusField(t, ctx, "qty")
	click(`document.querySelector('.content-doc td[data-cell="B2"]')`)
	waitFor(t, ctx, `document.querySelector('.field[data-path="qty"] .ed').value === "2"`, "clicking a cell did not put its text in the field")
	waitSaved(t, ctx)
	waitFor(t, ctx, `document.querySelector('.content-doc td[data-cell="B2"]').matches('.box[data-ref-field="qty"]')`, "the picked cell is not the field's box")

	press(t, ctx, "f", chromedp.ModifierAlt)
	typeText(t, ctx, "cable")
	waitFor(t, ctx, `document.getElementById("find-count").textContent === "1 of 1, page 1" && document.querySelector('td[data-cell="A2"]').matches(".found.current")`, "find did not mark the cell")
	press(t, ctx, "\x1b") // Esc
	focusField(t, ctx, "qty")
	approveByKey(t, ctx, "workflow_run_sheet")
	run := s.apiGet("/api/v1/runs/workflow_run_sheet")
	if v, c := at(t, run, "stepRuns.0.result.extractRun.reviewedOutput.value.qty"), at(t, run, "stepRuns.0.result.extractRun.reviewedOutput.metadata.qty.citations.0.referenceText"); v != `"2"` || c != `"2"` {
		t.Fatalf("the API has qty %s cited by %s", v, c)
	}
	if p := at(t, run, "stepRuns.0.result.extractRun.reviewedOutput.metadata.qty.citations.0.polygon"); p != "" {
		t.Fatalf("a cell is cited with a polygon %s", p)
	}

	open("page")
	waitFor(t, ctx, `document.querySelector(".content-doc .text-doc").textContent.includes("<script>window.__ran = 1</script>")`, "the HTML was not shown as its source")
	waitFor(t, ctx, `!!document.querySelector('.content-doc .line.box.found-by-text[data-ref-field="due"]')`, "the cited line was not marked")
	if ran, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__ran === 1`)); ran {
		t.Fatal("the document's script ran")
	}

	open("bomb")
	waitFor(t, ctx, `document.querySelector(".page-missing")?.textContent.includes("too large to show")`, "the zip bomb's page does not say why")
	focusField(t, ctx, "total")
	typeText(t, ctx, "2\r")
	waitSaved(t, ctx)
}

// TestWordDocumentAsPages: a Word document is shown as its pages, laid out
// by LibreOffice: its citation found by text on its page, its words
// clickable into a field, and the approved run carries the value. One
// LibreOffice refuses is shown as its text, saying why, and its fields stay
// editable.
func TestWordDocumentAsPages(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.user("ana@example.com", review.RoleAdmin)
	contentRun(s, "word", "DOCX", "letter.docx", docx.Write("Invoice 4711", "Total due: 39.00 EUR", "\f", "Terms: net 30 days"),
		map[string]any{"total": "39.00 EUR", "terms": ""}, map[string]any{"total": citeText("word", "39.00 EUR")})
	contentRun(s, "refused", "DOCX", "refused.docx", docx.WithoutPartsList("Invoice 4712", "Total due: 12.00"),
		map[string]any{"total": "12.00"}, map[string]any{"total": citeText("refused", "Total due: 12.00")})

	ctx := browser(t)
	signIn(t, ctx, s.base, "ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_word"), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelectorAll(".page img").length === 2 && !document.querySelector(".content-doc")`, "the Word document is not shown as its two pages")
	waitFor(t, ctx, `(() => { const b = document.querySelector('.box.found-by-text[data-ref-field="total"]'); return !!b && b.closest(".page").dataset.page === "1" && b.getBoundingClientRect().width > 0; })()`,
		"the citation's text was not found on page 1")

	focusField(t, ctx, "terms")
	press(t, ctx, "t", chromedp.ModifierAlt)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.CSS(`.page[data-page="2"]`))); err != nil {
		t.Fatal(err)
	}
	word := `[...document.querySelectorAll('.page[data-page="2"] .block.word')].find((b) => b.dataset.text === "30")`
	waitFor(t, ctx, "!!"+word, "page 2's words were not shown")
	r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const e = `+word+`; e.scrollIntoView({ block: "center" }); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(r[0], r[1])); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector('.field[data-path="terms"] .ed').value === "30"`, "clicking a word did not fill the field")
	waitSaved(t, ctx)
	approveByKey(t, ctx, "workflow_run_word")
	run := s.apiGet("/api/v1/runs/workflow_run_word")
	const out = "stepRuns.0.result.extractRun.reviewedOutput."
	if v, p, poly := at(t, run, out+"value.terms"), at(t, run, out+"metadata.terms.citations.0.page.number"), at(t, run, out+"metadata.terms.citations.0.polygon"); v != `"30"` || p != "2" || poly == "" {
		t.Fatalf("the API has terms %s cited on page %s at %s", v, p, poly)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/runs/workflow_run_refused"), chromedp.WaitVisible(chromedp.CSS(`body[data-editable="true"] .field .ed`)), settled()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.querySelector(".content-doc [role=note]")?.textContent.includes("LibreOffice could not read this document") && document.querySelector(".content-doc .text-doc").textContent.includes("Invoice 4712")`,
		"the refused document does not say why it is shown as its text")
	waitFor(t, ctx, `!!document.querySelector('.content-doc .line.box.found-by-text[data-ref-field="total"]')`, "the cited line was not marked")
	focusField(t, ctx, "total")
	typeText(t, ctx, "12.50\r")
	waitSaved(t, ctx)
	approveByKey(t, ctx, "workflow_run_refused")
	if v := at(t, s.apiGet("/api/v1/runs/workflow_run_refused"), out+"value.total"); v != `"12.50"` {
		t.Fatalf("the API has total %s", v)
	}
}
