package review

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The web layer maps them to HTTP statuses.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	ETOOMANY      = "too_many" // a per-person cap (open connections, attempts)
	// EUNPROCESSABLE: well formed, but beyond what reviewer will process
	// (a document too complex to draw within its time and memory bounds).
	EUNPROCESSABLE = "unprocessable"
	EUNAVAILABLE   = "unavailable"
	EINTERNAL      = "internal"
)

// Error is a failure a user or client can act on: Code is stable and
// machine-readable, Msg is a sentence for a person.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the Msg of an *Error,
// or a generic sentence for internal errors, whose details stay in the log.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return "Internal error."
}

// Count says n of a thing, its noun agreeing: "1 rule", "2 rules".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
