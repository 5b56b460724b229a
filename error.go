package gatehouse

import (
	"errors"
	"fmt"
)

// Code classifies an error. The problem package maps each code to one HTTP
// status; nothing else does.
type Code string

// The error codes. The zero Code is treated as CodeInternal.
const (
	CodeInvalid         Code = "invalid"         // the caller sent something malformed
	CodeUnauthenticated Code = "unauthenticated" // no valid credential
	CodeForbidden       Code = "forbidden"       // authenticated, but not allowed
	CodeNotFound        Code = "not_found"       // no such thing (or not visible to the caller)
	CodeConflict        Code = "conflict"        // clashes with existing state
	CodeTooMany         Code = "too_many"        // rate limited
	CodeUnsupported     Code = "unsupported"     // the body's media type is not accepted
	CodeUnavailable     Code = "unavailable"     // a dependency (the store) is down
	CodeInternal        Code = "internal"        // a bug or an unexpected failure
)

// Error is an error with a Code and a message that is safe to show to the
// caller. Wrap it with fmt.Errorf("...: %w", err) to add context; ErrorCode
// and ErrorMessage find it again.
type Error struct {
	Code    Code
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
// The message is shown to clients: never put a secret in it.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain,
// CodeInternal when there is none, and "" when err is nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, or a generic message when there is none.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}
