package pages

import (
	"errors"
	"time"
)

// SetOfficeTimeout bounds LibreOffice for a test, and returns what undoes it.
func SetOfficeTimeout(d time.Duration) func() {
	was := officeTimeout
	officeTimeout = d
	return func() { officeTimeout = was }
}

// Unlink, UnlinkXML and ProbeSandbox are unlink, unlinkXML and
// probeSandbox, for tests.
var (
	Unlink       = unlink
	UnlinkXML    = unlinkXML
	ProbeSandbox = probeSandbox
)

// WithoutSandbox runs LibreOffice and Tesseract as where no network
// namespace can be made, and returns what undoes it.
func WithoutSandbox() func() {
	was := sandbox
	sandbox = func() ([]string, error) { return nil, errors.New("no sandbox in this test") }
	return func() { sandbox = was }
}

// ImageDecodes returns how many pages of image documents r has decoded.
func ImageDecodes(r *Renderer) int64 { return r.decoded.Load() }

// OfficePID returns the process group of r's resident LibreOffice, or 0
// when none is running.
func OfficePID(r *Renderer) int {
	r.officeMu.Lock()
	defer r.officeMu.Unlock()
	if r.resident == nil || !r.resident.alive() {
		return 0
	}
	return r.resident.cmd.Process.Pid
}

// SetOfficeBounds sets the resident LibreOffice's memory and documents
// before it is replaced, and returns what undoes it.
func SetOfficeBounds(rss int64, documents int) func() {
	wasRSS, wasDocuments := officeRSS, officeDocuments
	officeRSS, officeDocuments = rss, documents
	return func() { officeRSS, officeDocuments = wasRSS, wasDocuments }
}
