package repo

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	warden "github.com/warden-authz/warden"
)

// checkField names the field behind a CHECK constraint, so that a value the
// domain validation let through answers like a validation failure.
func checkField(constraint string) (warden.FieldError, bool) {
	switch constraint {
	case "tasks_title_check", "posts_title_check":
		return warden.FieldError{Field: "title", Message: "must be 1 to 200 characters"}, true
	case "tasks_description_check":
		return warden.FieldError{Field: "description", Message: "must be at most 10000 characters"}, true
	case "tasks_priority_check":
		return warden.FieldError{Field: "priority", Message: "must be one of low, medium, high"}, true
	case "posts_body_check":
		return warden.FieldError{Field: "body", Message: "must be at most 20000 characters"}, true
	case "reports_reason_check":
		return warden.FieldError{Field: "reason", Message: "must be 1 to 2000 characters"}, true
	case "reports_status_check":
		return warden.FieldError{Field: "status", Message: "must be one of open, resolved, dismissed"}, true
	}
	return warden.FieldError{}, false
}

// missingParent names what a foreign key violation says is missing.
func missingParent(constraint string) (string, bool) {
	switch constraint {
	case "reports_post_fk":
		return "post not found", true
	}
	return "", false
}

// translate turns a driver error into a domain error, keeping the cause in the
// chain for the log: the *warden.Error comes first, so warden.ErrorCode and
// warden.ErrorMessage see it, and no driver text reaches a client.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var we *warden.Error
	if errors.As(err, &we) {
		return err
	}
	de := domainError(err)
	if de == nil {
		return err
	}
	return fmt.Errorf("%w: %w", de, err)
}

func domainError(err error) *warden.Error {
	if errors.Is(err, sql.ErrNoRows) {
		return warden.Errorf(warden.ENOTFOUND, "not found")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return warden.Errorf(warden.EUNAVAILABLE, "database request canceled or timed out")
	}
	if pqErr, ok := errors.AsType[*pq.Error](err); ok {
		return pqDomainError(pqErr)
	}
	if connectionFailure(err) {
		return warden.Errorf(warden.EUNAVAILABLE, "database unavailable")
	}
	return nil
}

func pqDomainError(e *pq.Error) *warden.Error {
	switch e.Code {
	case pqerror.UniqueViolation:
		return warden.Errorf(warden.ECONFLICT, "already exists")
	case pqerror.ForeignKeyViolation:
		if msg, ok := missingParent(e.Constraint); ok {
			return warden.Errorf(warden.ENOTFOUND, "%s", msg)
		}
		return warden.Errorf(warden.EINVALID, "refers to something that does not exist")
	case pqerror.CheckViolation:
		if fe, ok := checkField(e.Constraint); ok {
			return warden.Invalid([]warden.FieldError{fe}).(*warden.Error)
		}
		return warden.Errorf(warden.EINVALID, "invalid value")
	case pqerror.NotNullViolation:
		if e.Column != "" {
			return warden.Invalid([]warden.FieldError{{Field: e.Column, Message: "must not be null"}}).(*warden.Error)
		}
		return warden.Errorf(warden.EINVALID, "missing value")
	case pqerror.QueryCanceled, pqerror.LockNotAvailable,
		pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected,
		pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow:
		return warden.Errorf(warden.EUNAVAILABLE, "database busy, try again")
	}
	switch e.Code.Class() {
	case pqerror.ClassDataException:
		return warden.Errorf(warden.EINVALID, "invalid value")
	case pqerror.ClassConnectionException, pqerror.ClassInsufficientResources,
		pqerror.ClassOperatorIntervention, pqerror.ClassTransactionRollback:
		return warden.Errorf(warden.EUNAVAILABLE, "database unavailable")
	}
	return nil
}

// connectionFailure reports errors of reaching the server rather than of the statement.
func connectionFailure(err error) bool {
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, sql.ErrConnDone)
}
