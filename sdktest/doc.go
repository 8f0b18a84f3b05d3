// Package sdktest runs Extend's own TypeScript SDK (npm extend-ai, pinned
// in package-lock.json) against a started reviewer: the proof that code
// written for Extend reads reviewed runs by changing its base URL and
// token. `make sdk` installs Node and the SDK; the test is sdk_test.go.
package sdktest
