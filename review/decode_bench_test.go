package review_test

import (
	"testing"

	"github.com/reviewer-app/reviewer/demo"
	"github.com/reviewer-app/reviewer/review"
)

func BenchmarkDecodeRun(b *testing.B) {
	runs, err := demo.Payloads()
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range runs {
		b.Run(r.Name, func(b *testing.B) {
			b.SetBytes(int64(len(r.Payload)))
			for b.Loop() {
				if _, err := review.DecodeRun(r.Payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
