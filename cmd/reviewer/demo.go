package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/instance"
	"github.com/reviewer-app/reviewer/review"
)

// loadDemo stores the demo documents and sends their runs to the server's
// own webhook, signed, exactly as Extend would: the demo exercises the real
// ingest path. Event ids are fixed, so a restart adds nothing twice.
func loadDemo(ctx context.Context, in *instance.Instance, secret string) (int, error) {
	store, baseURL := in.Store, in.URL
	runs, err := demo.Runs()
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, r := range runs {
		// The documents first: the demo has no Extend account to fetch from.
		for id, name := range r.Files {
			if f, err := store.File(ctx, id); err == nil && f.Blob != "" {
				continue
			}
			body, err := demo.File(name)
			if err != nil {
				return 0, fmt.Errorf("demo %s: %w", name, err)
			}
			hash, err := store.PutFile(ctx, id, body, 64<<20)
			if err != nil {
				return 0, fmt.Errorf("demo %s: %w", name, err)
			}
			if _, err := in.Desk.Learn(ctx, hash); err != nil { // measured as it arrives, as the ingest worker does
				return 0, fmt.Errorf("demo %s: %w", name, err)
			}
		}
		// Event ids are of Extend's alphabet: the file name without ".json".
		ev := demo.Event("evt_demo_"+strings.TrimSuffix(r.Name, ".json"), review.EventRunNeedsReview, r.Payload)
		if err := demo.Send(ctx, client, baseURL+"/webhooks/extend", secret, ev); err != nil {
			return 0, fmt.Errorf("demo %s: %w", r.Name, err)
		}
	}
	return len(runs), nil
}
