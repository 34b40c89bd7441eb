package warden

import (
	"errors"
	"fmt"
)

// Error codes. The api package maps each to exactly one HTTP status.
const (
	ECONFLICT        = "conflict"
	EFORBIDDEN       = "forbidden"
	EINTERNAL        = "internal"
	EINVALID         = "invalid"         // a body or parameter that parses but breaks a rule (422)
	EMALFORMED       = "malformed"       // a body that does not parse (400)
	ENOTFOUND        = "not_found"       // missing, or not visible to the subject (404)
	ETOOLARGE        = "too_large"       // body over the limit (413)
	EUNAUTHENTICATED = "unauthenticated" // no or bad token (401)
	EUNAVAILABLE     = "unavailable"     // a dependency (JWKS, database) cannot be reached (503)
)

// FieldError names one field that broke a rule. Field uses JSON names and,
// for bulk bodies, the index: "[3].title".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain error. Message is safe to show to a client; Fields is set
// for validation failures.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	return fmt.Sprintf("warden error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds an *Error with a client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err, or "internal error".
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the field errors carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Invalid builds an EINVALID error from field errors; nil when there are none.
func Invalid(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	msg := fields[0].Field + ": " + fields[0].Message
	if len(fields) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(fields)-1)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}
