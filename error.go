package paperpicks

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in server; clients see the code
// and the message, never the wrapped cause.
const (
	ECONFLICT      = "conflict"           // 409: duplicate email, concurrent change
	EINTERNAL      = "internal"           // 500: a bug or an unexpected failure
	EINVALID       = "invalid"            // 400: malformed input
	ENOTFOUND      = "not_found"          // 404
	EUNAUTHORIZED  = "unauthorized"       // 401: no or unknown token
	EFORBIDDEN     = "forbidden"          // 403: a valid token without the right
	ETOOLARGE      = "too_large"          // 413
	EUNPROCESSABLE = "unprocessable"      // 422: well-formed, but nothing usable
	ERATELIMIT     = "rate_limited"       // 429
	EUNAVAILABLE   = "unavailable"        // 503: a dependency is down
	EMISMATCH      = "space_mismatch"     // 409: vectors from another embedder
	EMETHOD        = "method_not_allowed" // 405
)

// Error is the one error type of paperpicks. Field names the offending input
// field when there is one, so clients can point at it.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // the cause, for logs; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf is Errorf for a problem with one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the code and message that keeps err as its cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// NotFound is the error for a missing entity, e.g. NotFound("paper", "2401.1").
func NotFound(kind, id string) *Error {
	return Errorf(ENOTFOUND, "%s %q not found", kind, id)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain, or a generic one that hides internals.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the input field named by the first *Error in err's chain.
func ErrorField(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Field
	}
	return ""
}

// IsCode reports whether err carries code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
