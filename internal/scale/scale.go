// Package scale sizes the tests that have a production-scale variant.
// make test runs each at a size that still crosses every boundary the code
// has (a page of an export, a window of rows, a kill in the middle of a
// burst); make test-long sets REVIEWER_TEST_LONG=1 and runs them at the
// production figures, which cost minutes under the race detector.
package scale

import "os"

// Env is the environment variable that selects the production figures.
const Env = "REVIEWER_TEST_LONG"

// Long tells whether the tests run at production scale.
func Long() bool { return os.Getenv(Env) != "" }

// Pick returns test, or long at production scale.
func Pick(test, long int) int {
	if Long() {
		return long
	}
	return test
}
