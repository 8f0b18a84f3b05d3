package review_test

import (
	"reflect"
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

// FuzzInterpretStored: interpreting a stored body in one parse says what
// DecodeEvent, SignedDataURL and Interpret say of it, one after another.
func FuzzInterpretStored(f *testing.F) {
	runs, err := demo.Payloads()
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range runs {
		f.Add(demo.Event("evt_"+r.Name, review.EventRunNeedsReview, r.Payload))
	}
	for _, body := range []string{
		`{"eventId":"e","eventType":"workflow_run.needs_review","payload":{"object":"signed_data_url","data":"https://x.example/p?sig=1","id":"e"}}`,
		`{"eventId":"e","eventType":"workflow_run.completed","payload":{"data":"https://x.example/p"}}`,
		`{"eventId":"e","eventType":"workflow_run.completed","payload":{"data":"not a link","object":null}}`,
		`{"eventId":"e","eventType":"workflow_run.completed","payload":{"object":1,"data":"https://x"}}`,
		`{"eventId":"e","eventType":"workflow.created","payload":{"id":"workflow_1","name":"A"}}`,
		`{"eventId":"e","eventType":"workflow_run.step_run.processed","payload":{"id":"s","workflowRunId":"workflow_run_1","result":{}}}`,
		`{"eventId":"e","eventType":"workflow_run.failed","payload":{"id":"workflow_run_1"},"payload":{"id":"workflow_run_2"}}`,
		`{"eventId":"e","eventType":"workflow_run.failed","payload":null}`,
		`{"eventId":"e","eventType":"workflow_run.failed"}`,
		`{"eventId":"e","eventType":"workflow_run.failed","payload":[1]}`,
		`{"eventId":"","eventType":"x","payload":{}}`,
		`{"eventId":"e","eventType":"workflow_run.failed","payload":{"id":"workflow_run_1/../x"}}`,
		`[1]`, `{`, ``,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, link, err := review.InterpretStored(body)
		ev, refErr := review.DecodeEvent(body)
		var refLink string
		var ref review.EventChange
		if refErr == nil {
			var signed bool
			if refLink, signed = review.SignedDataURL(ev.Payload); !signed {
				ref, refErr = review.Interpret(ev)
			}
		}
		if (err == nil) != (refErr == nil) || (err != nil && err.Error() != refErr.Error()) {
			t.Fatalf("InterpretStored: %v; one after another: %v", err, refErr)
		}
		if link != refLink || !reflect.DeepEqual(c, ref) {
			t.Fatalf("InterpretStored: %q %+v; one after another: %q %+v", link, c, refLink, ref)
		}
	})
}
