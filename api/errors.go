package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/warden-authz/warden"
)

// statusOf is the one map from domain error code to HTTP status.
func statusOf(code string) int {
	switch code {
	case warden.EMALFORMED:
		return http.StatusBadRequest
	case warden.EUNAUTHENTICATED:
		return http.StatusUnauthorized
	case warden.EFORBIDDEN:
		return http.StatusForbidden
	case warden.ENOTFOUND:
		return http.StatusNotFound
	case warden.ECONFLICT:
		return http.StatusConflict
	case warden.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case warden.EINVALID:
		return http.StatusUnprocessableEntity
	case warden.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	RequestID string              `json:"request_id"`
	Errors    []warden.FieldError `json:"errors,omitempty"`
}

// writeError answers err as problem+json. It is the one place an error is logged:
// internal causes go to the log and never to the client.
func writeError(c *gin.Context, err error) {
	code := warden.ErrorCode(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		code = warden.EINTERNAL
	}
	detail := warden.ErrorMessage(err)
	switch {
	case status == http.StatusInternalServerError:
		detail = "internal error"
		loggerOf(c).ErrorContext(c.Request.Context(), "request failed",
			"request_id", requestID(c), "route", c.FullPath(), "error", err.Error())
	case status >= 500:
		// A dependency is down: the operator needs the cause, the client a retry.
		loggerOf(c).WarnContext(c.Request.Context(), "request unavailable",
			"request_id", requestID(c), "route", c.FullPath(), "error", err.Error())
	}
	switch status {
	case http.StatusUnauthorized:
		c.Header("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+sanitizeHeader(detail)+`"`)
	case http.StatusServiceUnavailable:
		c.Header("Retry-After", "5")
	}
	p := problem{
		Type:      "urn:warden:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		RequestID: requestID(c),
		Errors:    warden.ErrorFields(err),
	}
	respond(c, status, "application/problem+json", p)
	c.Abort()
}

// sanitizeHeader keeps a message safe inside a quoted header parameter.
func sanitizeHeader(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func notFound(what string) error { return warden.Errorf(warden.ENOTFOUND, "%s not found", what) }
