package api_test

import (
	"github.com/warden-authz/warden/internal/testlog"
	"io"
	"log/slog"
)

// syncBuffer collects output written from several goroutines.
type syncBuffer = testlog.Buffer

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
