package pages

import "time"

// SetOfficeTimeout bounds LibreOffice for a test, and returns what undoes it.
func SetOfficeTimeout(d time.Duration) func() {
	was := officeTimeout
	officeTimeout = d
	return func() { officeTimeout = was }
}

// ProbeSandbox is probeSandbox, for tests.
var ProbeSandbox = probeSandbox
