package web

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/views"
)

// MaxAccuracyDays bounds the period the accuracy and the scorecards are
// measured over: a year of days is all a supervisor compares.
const MaxAccuracyDays = 366

// period reads the days measured (30 unless days= says otherwise) back from
// now.
func (s *Server) period(r *http.Request) (from, to time.Time, days int, err error) {
	days = 30
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > MaxAccuracyDays {
			return from, to, 0, review.Errorf(review.EINVALID, "days is a whole number from 1 to %d.", MaxAccuracyDays)
		}
	}
	to = s.now().Add(time.Millisecond)
	return to.AddDate(0, 0, -days), to, days, nil
}

func (s *Server) qaQueuePage(w http.ResponseWriter, r *http.Request) error {
	q, waiting, err := s.store.QAQueue(r.Context(), 0)
	if err != nil {
		return err
	}
	vm := views.QAQueueVM{Page: s.page(r, "QA", "qa"), Samples: q, Waiting: waiting, Me: userFrom(r.Context()).Email, Now: s.now()}
	if r.URL.Query().Get("part") == "body" {
		return s.render(w, r, http.StatusOK, views.QAQueueBody(vm))
	}
	vm.Page.Frame.Scripts = []string{"js/redraw.js"}
	return s.render(w, r, http.StatusOK, views.QAQueuePage(vm))
}

// qaCheckPage shows a sampled run for its blind check: the document and
// the model's values, as its first reviewer found them; once checked, the
// three readings side by side.
func (s *Server) qaCheckPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderQA(w, r, http.StatusOK, "")
}

func (s *Server) renderQA(w http.ResponseWriter, r *http.Request, status int, flash string) error {
	ctx := r.Context()
	q, run, err := s.desk.OpenQA(ctx, r.PathValue("runID"))
	if err != nil {
		return err
	}
	vm := views.QACheckVM{Page: s.page(r, "QA check", "qa"), Sample: q, Name: firstNonEmpty(run.Name, runFileName(run), run.ID), Flash: flash}
	if q.QAAt != nil {
		vm.Result = q.Fields
		return s.render(w, r, status, views.QACheckPage(vm))
	}
	vm.Page.Frame.Scripts = []string{"js/qa.js"}
	from := map[string][]string{} // rows as the checker left them, when the check is refused
	if r.Method == http.MethodPost {
		var rows []desk.QARows
		for k, vs := range r.PostForm {
			parts := strings.SplitN(k, "|", 3)
			if len(parts) != 3 || parts[0] != "rows" || len(vs) != 1 {
				continue
			}
			if f, err := qaRowsFrom(vs[0]); err == nil {
				rows = append(rows, desk.QARows{OutputID: parts[1], Path: parts[2], From: f})
				from[k] = strings.Split(vs[0], ",")
			}
		}
		if rowed, _, err := s.desk.QARows(ctx, run, rows); err == nil {
			run = rowed
		} else {
			from = map[string][]string{}
		}
	}
	for _, o := range run.Outputs {
		switch {
		case o.Location == nil:
		case o.Type == review.OutputExtract:
			vm.Inputs = append(vm.Inputs, qaInputs(r, o, from)...)
		case o.Type == review.OutputClassify:
			vm.Inputs = append(vm.Inputs, qaClass(r, o))
		case o.Type == review.OutputSplitter:
			vm.Inputs = append(vm.Inputs, qaSplits(r, o, from))
		}
	}
	for _, f := range run.Files {
		doc, found, err := s.store.Document(ctx, f.Blob)
		if err != nil || !found || f.Blob == "" {
			continue
		}
		for i := range doc.Pages {
			vm.Images = append(vm.Images, string(views.Path("pages", f.Blob, strconv.Itoa(i+1)))+"?w=900")
		}
	}
	return s.render(w, r, status, views.QACheckPage(vm))
}

// qaInputs is the check form's fields of an extraction: a value each, and
// each top-level list as its rows of cells, which the checker can add to
// and remove from. from holds the rows a refused check left, by the form's
// name of the list; otherwise the list's rows are the model's.
func qaInputs(r *http.Request, o review.Output, from map[string][]string) []views.QAInput {
	var out []views.QAInput
	var list *views.QAInput // the top-level list being read
	for _, f := range o.Fields {
		in := views.QAInput{OutputID: o.ID, Output: o.Name, Path: f.Path, Depth: f.Depth, Key: qaKey(o.ID, f.Path), Type: f.Type}
		in.Shown, in.Text = qaShown(r, f, o.ID)
		switch {
		case f.Depth == 0 && f.Type.IsList():
			out = append(out, views.QAInput{OutputID: o.ID, Output: o.Name, Path: f.Path, RowsKey: qaRowsKey(o.ID, f.Path)})
			list = &out[len(out)-1]
		case f.Depth == 0:
			list = nil
			if !f.Type.Container() {
				out = append(out, in)
			}
		case list != nil && f.Depth == 1: // a row
			n := len(list.Rows)
			row := views.QARow{From: strconv.Itoa(n)}
			if was := from[list.RowsKey]; n < len(was) {
				row.From = was[n]
			}
			list.Rows = append(list.Rows, row)
			fallthrough
		case list != nil: // a row's cell
			if !f.Type.Container() {
				rows := list.Rows
				in.Depth, in.Cell = f.Depth-1, strings.TrimPrefix(f.Path, list.Path+"["+strconv.Itoa(len(rows)-1)+"]")
				rows[len(rows)-1].Cells = append(rows[len(rows)-1].Cells, in)
			}
		case !f.Type.Container():
			out = append(out, in)
		}
	}
	return out
}

// qaShown is a field's value as its editor shows it in the check's form:
// the model's, or what was given when the check is refused, which stays.
func qaShown(r *http.Request, f review.Field, outputID string) (review.Shown, string) {
	s := f.Show()
	if r.Method != http.MethodPost {
		return s, review.Text(f.Value)
	}
	posted := func(part string) string { return r.PostFormValue(views.QAKey(part, outputID, f.Path)) }
	s.Text, s.Amount, s.Code = posted("v"), posted("v"), posted("code")
	s.Sig = qaSignature(r.PostForm, outputID, f.Path)
	for i, c := range s.Choices {
		s.Choices[i].Selected = c.Value == s.Text || f.Type.Info().Editor == review.EditMoney && c.Value == s.Code
	}
	return s, s.Text
}

// qaSignature is a signature's parts as the check's form gives them.
func qaSignature(form map[string][]string, outputID, path string) review.SignatureParts {
	part := func(p string) string {
		if vs := form[views.QAKey(p, outputID, path)]; len(vs) == 1 {
			return vs[0]
		}
		return ""
	}
	return review.SignatureParts{Signed: part(views.QASigned), Name: part(views.QAName), Title: part(views.QATitle), Date: part(views.QADate)}
}

// qaSplits is the check form's sub-documents of a splitter, as rows of
// their type and pages, which the checker can add to and remove from as a
// list's: the model's, or as a refused check left them.
func qaSplits(r *http.Request, o review.Output, from map[string][]string) views.QAInput {
	in := views.QAInput{OutputID: o.ID, Output: o.Name, Path: review.PathSplits, RowsKey: qaRowsKey(o.ID, review.PathSplits)}
	rows := from[in.RowsKey]
	if rows == nil {
		for i := range o.Splits {
			rows = append(rows, strconv.Itoa(i))
		}
	}
	for j, was := range rows {
		row := views.QARow{From: was}
		i, err := strconv.Atoi(was)
		for _, c := range []string{".type", ".startPage", ".endPage"} {
			path := review.PathSplits + "[" + strconv.Itoa(j) + "]" + c
			cell := views.QAInput{OutputID: o.ID, Path: path, Key: qaKey(o.ID, path), Cell: c}
			posted, ok := r.PostForm[cell.Key]
			switch {
			case ok:
				cell.Text = posted[0]
			case err == nil && i < len(o.Splits):
				cell.Text = map[string]string{".type": o.Splits[i].Type, ".startPage": strconv.Itoa(o.Splits[i].StartPage), ".endPage": strconv.Itoa(o.Splits[i].EndPage)}[c]
			}
			row.Cells = append(row.Cells, cell)
		}
		in.Rows = append(in.Rows, row)
	}
	return in
}

// qaClass is the check form's choice of a classification's class: one of
// the classes it was configured with, the model's chosen as it came.
func qaClass(r *http.Request, o review.Output) views.QAInput {
	in := views.QAInput{OutputID: o.ID, Output: o.Name, Path: review.PathClass, Key: qaKey(o.ID, review.PathClass)}
	if o.Class != nil {
		in.Text = o.Class.Type
	}
	if r.Method == http.MethodPost {
		in.Text = r.PostFormValue(in.Key)
	}
	for _, k := range o.Classes {
		in.Options = append(in.Options, k.Type)
	}
	if !slices.Contains(in.Options, in.Text) {
		in.Options = append(in.Options, in.Text) // the model's, when the classes configured are not known
	}
	return in
}

// awaitsBlindCheck says whether the run waits for a QA check the signed-in
// person could make: anyone but its first reviewer, who must not see the
// first review's values on the run's page before checking.
func (s *Server) awaitsBlindCheck(r *http.Request) (bool, error) {
	err := s.desk.Withheld(r.Context(), r.PathValue("runID"), userFrom(r.Context()))
	if review.ErrorCode(err) == review.EFORBIDDEN {
		return true, nil
	}
	return false, err
}

func qaKey(outputID, path string) string { return views.QAKey("v", outputID, path) }

// qaRowsKey names a list's rows in the check's form: the model's row each
// was ("3"), or "new", comma-separated, in the order the checker left them.
func qaRowsKey(outputID, path string) string { return "rows|" + outputID + "|" + path }

func qaRowsFrom(s string) ([]int, error) {
	from := []int{}
	if s == "" {
		return from, nil
	}
	for _, x := range strings.Split(s, ",") {
		if x == "new" {
			from = append(from, -1)
			continue
		}
		i, err := strconv.Atoi(x)
		if err != nil || i < 0 {
			return nil, review.Errorf(review.EINVALID, "The rows of a list are the model's row numbers or \"new\", not %q.", x)
		}
		from = append(from, i)
	}
	return from, nil
}

// qaCheck records a blind check from the form: one value per field.
func (s *Server) qaCheck(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return review.Errorf(review.EINVALID, "The form could not be read.")
	}
	var values []desk.QAValue
	var rows []desk.QARows
	for k, vs := range r.PostForm {
		parts := strings.SplitN(k, "|", 3)
		if len(parts) != 3 || len(vs) != 1 {
			continue
		}
		switch parts[0] {
		case "v":
			values = append(values, desk.QAValue{OutputID: parts[1], Path: parts[2], Text: vs[0], Code: r.PostForm.Get(views.QAKey("code", parts[1], parts[2]))})
		case views.QASigned: // a signature: its parts together
			sig := qaSignature(r.PostForm, parts[1], parts[2])
			values = append(values, desk.QAValue{OutputID: parts[1], Path: parts[2], Sig: &sig})
		case "rows":
			from, err := qaRowsFrom(vs[0])
			if err != nil {
				return s.renderQA(w, r, http.StatusBadRequest, review.ErrorMessage(err))
			}
			rows = append(rows, desk.QARows{OutputID: parts[1], Path: parts[2], From: from})
		}
	}
	id := r.PathValue("runID")
	if _, err := s.desk.CheckQA(r.Context(), id, userFrom(r.Context()), values, rows); err != nil {
		if code := review.ErrorCode(err); code == review.EINVALID || code == review.EUNPROCESSABLE {
			return s.renderQA(w, r, statusOf[code], review.ErrorMessage(err))
		}
		return err
	}
	http.Redirect(w, r, string(views.Path("qa", id)), http.StatusSeeOther)
	return nil
}

// active adds the focused time a run's page reports.
func (s *Server) active(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.ParseInt(r.PostFormValue("ms"), 10, 64)
	if err != nil {
		return review.Errorf(review.EINVALID, "ms is a whole number of milliseconds.")
	}
	if err := s.desk.Active(r.Context(), r.PathValue("runID"), userFrom(r.Context()).Email, time.Duration(n)*time.Millisecond); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) accuracyPage(w http.ResponseWriter, r *http.Request) error {
	vm, err := s.accuracyVM(r, "")
	if err != nil {
		return err
	}
	if r.URL.Query().Get("part") == "body" {
		return s.render(w, r, http.StatusOK, views.AccuracyBody(vm))
	}
	return s.render(w, r, http.StatusOK, views.AccuracyPage(vm))
}

func (s *Server) accuracyVM(r *http.Request, flash string) (views.AccuracyVM, error) {
	ctx := r.Context()
	from, to, days, err := s.period(r)
	if err != nil {
		return views.AccuracyVM{}, err
	}
	vm := views.AccuracyVM{Page: s.page(r, "Accuracy", "accuracy"), Days: days, Flash: flash}
	vm.Page.Frame.Scripts = []string{"js/redraw.js"}
	if vm.A, err = s.store.Accuracy(ctx, review.AccuracyFilter{WorkflowID: r.URL.Query().Get("workflow"), From: from, To: to}); err != nil {
		return vm, err
	}
	if vm.Cards, err = s.store.Scorecards(ctx, review.ScorecardFilter{From: from, To: to}); err != nil {
		return vm, err
	}
	if vm.Rules, err = s.store.QARules(ctx); err != nil {
		return vm, err
	}
	vm.Workflows, err = s.store.Workflows(ctx)
	return vm, err
}

// saveQARule keeps a workflow's QA sample rate and its always-checked
// fields.
func (s *Server) saveQARule(w http.ResponseWriter, r *http.Request) error {
	percent, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("samplePercent")))
	if err != nil {
		return review.Errorf(review.EINVALID, "The QA sample is a whole percentage from 0 to 100.")
	}
	rule := review.QARule{WorkflowID: r.PostFormValue("workflowId"), SamplePercent: percent}
	if rule.WorkflowID == "" {
		return review.Errorf(review.EINVALID, "Choose a workflow.")
	}
	for _, f := range strings.Split(r.PostFormValue("fields"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			rule.Fields = append(rule.Fields, review.FoldPath(f))
		}
	}
	if err := s.desk.SetQARule(r.Context(), userFrom(r.Context()).Email, rule); err != nil {
		if review.ErrorCode(err) != review.EINVALID {
			return err
		}
		// Refused beside the form, with the fields there are.
		vm, verr := s.accuracyVM(r, review.ErrorMessage(err))
		if verr != nil {
			return verr
		}
		vm.Typed = views.QARuleForm{WorkflowID: rule.WorkflowID, Percent: r.PostFormValue("samplePercent"), Fields: r.PostFormValue("fields")}
		return s.render(w, r, http.StatusBadRequest, views.AccuracyPage(vm))
	}
	http.Redirect(w, r, "/accuracy", http.StatusSeeOther)
	return nil
}

// scorecardsPage shows the scorecards: everyone's to a supervisor, one's
// own to a reviewer.
func (s *Server) scorecardsPage(w http.ResponseWriter, r *http.Request) error {
	from, to, days, err := s.period(r)
	if err != nil {
		return err
	}
	user := userFrom(r.Context())
	f := review.ScorecardFilter{From: from, To: to}
	if !user.Role.AtLeast(review.RoleSupervisor) {
		f.Email = user.Email
	}
	cards, err := s.store.Scorecards(r.Context(), f)
	if err != nil {
		return err
	}
	vm := views.ScorecardsVM{Page: s.page(r, "Scorecards", "scorecards"), Cards: cards, Days: days, Own: f.Email != ""}
	vm.Page.Frame.Scripts = []string{"js/redraw.js"}
	if r.URL.Query().Get("part") == "body" {
		return s.render(w, r, http.StatusOK, views.ScorecardsBody(vm))
	}
	return s.render(w, r, http.StatusOK, views.ScorecardsPage(vm))
}

// The API's QA, accuracy and scorecards: the same figures as the pages,
// each with its sample size.

func (s *Server) apiQAQueue(w http.ResponseWriter, r *http.Request) error {
	q, waiting, err := s.store.QAQueue(r.Context(), 0)
	if err != nil {
		return err
	}
	data := make([]map[string]any, 0, len(q))
	for _, x := range q {
		data = append(data, map[string]any{"runId": x.RunID, "workflowId": x.WorkflowID, "source": x.Source, "firstBy": x.FirstBy,
			"firstAt": x.FirstAt.Format(timeFormat), "sampledAt": x.SampledAt.Format(timeFormat)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "waiting": waiting})
	return nil
}

func (s *Server) apiQASample(w http.ResponseWriter, r *http.Request) error {
	q, err := s.store.QASample(r.Context(), r.PathValue("runID"))
	if err != nil {
		return err
	}
	out := map[string]any{"runId": q.RunID, "workflowId": q.WorkflowID, "source": q.Source, "firstBy": q.FirstBy,
		"firstAt": q.FirstAt.Format(timeFormat), "sampledAt": q.SampledAt.Format(timeFormat), "checkedBy": q.QABy, "checkedAt": nil, "fields": []review.QAField{}}
	if q.QAAt != nil { // blind until checked: no values before
		out["checkedAt"], out["fields"] = q.QAAt.Format(timeFormat), q.Fields
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAccuracy(w http.ResponseWriter, r *http.Request) error {
	from, to, _, err := s.period(r)
	if err != nil {
		return err
	}
	a, err := s.store.Accuracy(r.Context(), review.AccuracyFilter{WorkflowID: r.URL.Query().Get("workflowId"), From: from, To: to})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) apiScorecards(w http.ResponseWriter, r *http.Request) error {
	from, to, _, err := s.period(r)
	if err != nil {
		return err
	}
	cards, err := s.store.Scorecards(r.Context(), review.ScorecardFilter{Email: r.URL.Query().Get("email"), From: from, To: to})
	if err != nil {
		return err
	}
	type card struct {
		Email            string      `json:"email"`
		Day              string      `json:"day"`
		Decided          int         `json:"decided"`
		ActiveSeconds    float64     `json:"activeSeconds"`
		ActivePerRunSecs float64     `json:"activeSecondsPerRun"`
		FieldsChanged    int         `json:"fieldsChanged"`
		FirstPass        review.Rate `json:"firstPassAcceptance"`
		Accuracy         review.Rate `json:"accuracy"`
	}
	data := make([]card, 0, len(cards))
	for _, c := range cards {
		data = append(data, card{c.Email, c.Day.Format(time.DateOnly), c.Decided, c.Active.Seconds(), c.ActivePerRun().Seconds(), c.FieldsChanged, c.Accepted, c.Accuracy})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	return nil
}

// exportQA streams every checked field as CSV: what the model, the first
// review and QA had, and how many of its units each got right. The
// accuracy figures are sums of these rows.
func (s *Server) exportQA(w http.ResponseWriter, r *http.Request) error {
	f, err := exportFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="qa-checks.csv"`)
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := writeSafe(cw, []string{"runId", "workflowId", "source", "firstBy", "firstAt", "checkedBy", "checkedAt", "outputId", "path",
		"confidence", "units", "modelCorrect", "firstCorrect", "model", "first", "qa"}); err != nil {
		return err
	}
	err = s.store.EachQAField(r.Context(), f, func(q review.QASample, fld review.QAField) error {
		conf := ""
		if fld.Confidence != nil {
			conf = strconv.FormatFloat(*fld.Confidence, 'f', -1, 64)
		}
		return writeSafe(cw, []string{q.RunID, q.WorkflowID, q.Source, q.FirstBy, q.FirstAt.Format(timeFormat), q.QABy, q.QAAt.Format(timeFormat),
			fld.OutputID, fld.Path, conf, strconv.Itoa(fld.Total), strconv.Itoa(fld.ModelCorrect), strconv.Itoa(fld.FirstCorrect),
			review.Text(fld.Model), review.Text(fld.First), review.Text(fld.QA)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
