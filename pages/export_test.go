package pages

import "time"

// SetOfficeTimeout bounds LibreOffice for a test, and returns what undoes it.
func SetOfficeTimeout(d time.Duration) func() {
	was := officeTimeout
	officeTimeout = d
	return func() { officeTimeout = was }
}

// ImageDecodes returns how many pages of image documents r has decoded.
func ImageDecodes(r *Renderer) int64 { return r.decoded.Load() }
