package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
)

// editRequest is one change from the review page. The reviewer's text is
// sent as typed and parsed here by the field's type, so numbers never pass
// through a float and dates are read one way for everyone.
type editRequest struct {
	Version  int             `json:"version"`
	OutputID string          `json:"outputId"`
	Path     string          `json:"path"`
	Text     *string         `json:"text"`  // what was typed (string, number, date, boolean, enum, currency amount)
	Code     string          `json:"code"`  // currency code, with Text as the amount
	Value    json.RawMessage `json:"value"` // a JSON value (signature, null, a split list, a class)
	Reset    bool            `json:"reset"` // back to the model's value
	Keep     bool            `json:"keep"`  // value unchanged: only the reference is re-pointed
	Row      *rowOp          `json:"row"`   // add, remove or move a row of a list
	How      string          `json:"how"`
	Ref      *struct {
		FileID string      `json:"fileId"`
		Page   int         `json:"page"`
		Rect   review.Rect `json:"rect"`
	} `json:"ref"`
}

type rowOp struct {
	Op    string `json:"op"` // add, remove, up, down
	Index int    `json:"index"`
}

// editResponse tells the page what was saved.
type editResponse struct {
	Version     int             `json:"version"`
	Value       json.RawMessage `json:"value"`
	Text        string          `json:"text"`
	Edited      bool            `json:"edited"`
	Original    string          `json:"original"`
	Alternative string          `json:"alternative,omitempty"` // another reading of a typed date
	Fragments   fragments       `json:"fragments"`             // the page's parts as the change left them
}

// Bounds on one change from the review page.
const (
	maxEdit       = 1 << 20 // bytes
	maxEditValues = 10_000  // JSON values in a change's value
)

func (s *Server) saveEdit(w http.ResponseWriter, r *http.Request) error {
	var req editRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEdit)).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return review.Errorf(review.ETOOLARGE, "A change may be at most %d KiB.", maxEdit>>10)
		}
		return review.Errorf(review.EINVALID, "the change is not JSON: %v", err)
	}
	if n := review.CountValues(req.Value, maxEditValues+1); n > maxEditValues {
		return review.Errorf(review.ETOOLARGE, "A change may hold at most %d values; this one holds more.", maxEditValues)
	}
	c := desk.Change{Version: req.Version, OutputID: req.OutputID, Path: req.Path, Text: req.Text, Code: req.Code,
		Value: req.Value, Reset: req.Reset, Keep: req.Keep, How: req.How}
	if req.Row != nil {
		c.Row = &desk.Row{Op: req.Row.Op, Index: req.Row.Index}
	}
	if req.Ref != nil {
		text := ""
		if req.Text != nil {
			text = *req.Text
		}
		// Without a rectangle (a cell of a sheet), the reference is its text.
		c.Box = &review.Ref{Kind: review.RefManual, FileID: req.Ref.FileID, Page: req.Ref.Page, HasBox: req.Ref.Rect != review.Rect{}, Rect: req.Ref.Rect, Text: text}
	}
	saved, err := s.desk.SaveEdit(r.Context(), r.PathValue("runID"), userFrom(r.Context()).Email, c)
	if err != nil {
		return err
	}
	resp := editResponse{Version: saved.Version, Value: saved.Value, Text: saved.Text, Edited: saved.Edited,
		Original: saved.Original, Alternative: saved.Alternative}
	vm, err := s.runView(r, false)
	if err == nil {
		resp.Fragments, err = fragmentsOf(r.Context(), vm)
	}
	if err != nil { // saved all the same: the page learns the rest at its next change
		s.log.Error("fragments after a saved change", "run", r.PathValue("runID"), "err", err)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func compact(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}
