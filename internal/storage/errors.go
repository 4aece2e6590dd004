package storage

import (
	"errors"
	"fmt"
)

// Code classifies a storage failure; the registry maps each to an API status.
type Code int

const (
	CodeNotFound Code = iota + 1
	CodeKeyExists
	// CodeConflict: the object changed between read and write (resourceVersion
	// precondition failed).
	CodeConflict
	// CodePreconditionFailed: a uid precondition failed.
	CodePreconditionFailed
	// CodeExpired: the requested resourceVersion was compacted (410 Gone).
	CodeExpired
	// CodeTooLargeResourceVersion: the requested resourceVersion is newer than storage has.
	CodeTooLargeResourceVersion
	// CodeInvalidObj: a stored value could not be decoded, or bad input (e.g. a continue token).
	CodeInvalidObj
	CodeUnreachable
)

// Error is a storage failure about one key.
type Error struct {
	Code    Code
	Key     string
	Message string
	// ResourceVersion is the current revision, for CodeConflict and CodeExpired.
	ResourceVersion int64
	// Continue, on a CodeExpired paginated list, resumes it at the latest revision.
	Continue string
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	switch e.Code {
	case CodeNotFound:
		return fmt.Sprintf("key not found: %s", e.Key)
	case CodeKeyExists:
		return fmt.Sprintf("key exists: %s", e.Key)
	case CodeConflict:
		return fmt.Sprintf("resource version conflicts: %s", e.Key)
	case CodeExpired:
		return "resource version expired"
	}
	return fmt.Sprintf("storage error %d: %s", e.Code, e.Key)
}

// Is lets errors.Is(err, &Error{Code: c}) match by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// NewError returns an Error with code and key.
func NewError(code Code, key, format string, args ...any) *Error {
	msg := ""
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Key: key, Message: msg}
}

// HasCode reports whether err is a storage Error with code c.
func HasCode(err error, c Code) bool {
	var se *Error
	return errors.As(err, &se) && se.Code == c
}

// IsNotFound reports whether err says the key does not exist.
func IsNotFound(err error) bool { return HasCode(err, CodeNotFound) }
