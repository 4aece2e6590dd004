package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestConfigureLogging(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	tests := []struct {
		name      string
		opts      ObservabilityOptions
		wantErr   string
		wantLevel slog.Level
	}{
		{name: "defaults", wantLevel: slog.LevelInfo},
		{name: "text v=2", opts: ObservabilityOptions{Verbosity: 2, LoggingFormat: "text"}, wantLevel: slog.Level(-2)},
		{name: "json v=4 is debug", opts: ObservabilityOptions{Verbosity: 4, LoggingFormat: "json"}, wantLevel: slog.LevelDebug},
		{name: "unknown format", opts: ObservabilityOptions{LoggingFormat: "yaml"}, wantErr: `invalid value "yaml" for --logging-format`},
		{name: "negative verbosity", opts: ObservabilityOptions{Verbosity: -1}, wantErr: "invalid value -1 for --v"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tc.opts.ConfigureLogging(&buf)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.opts.LogLevel.Level(); got != tc.wantLevel {
				t.Fatalf("level = %v, want %v", got, tc.wantLevel)
			}
			if !tc.opts.Logger.Enabled(context.Background(), tc.wantLevel) || tc.opts.Logger.Enabled(context.Background(), tc.wantLevel-1) {
				t.Fatalf("logger not enabled exactly from %v", tc.wantLevel)
			}
			tc.opts.Logger.Info("hello")
			if tc.opts.LoggingFormat == "json" && !strings.HasPrefix(buf.String(), "{") {
				t.Fatalf("json format wrote %q", buf.String())
			}
			if tc.opts.LoggingFormat != "json" && !strings.Contains(buf.String(), "msg=hello") {
				t.Fatalf("text format wrote %q", buf.String())
			}
		})
	}
}

func TestVerbosityHandler(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		body      string
		wantCode  int
		wantBody  string
		wantLevel slog.Level
	}{
		{"set 4", http.MethodPut, "4", 200, "successfully set klog.logging.verbosity to 4", slog.Level(-4)},
		{"set 0", http.MethodPut, "0", 200, "successfully set klog.logging.verbosity to 0", slog.LevelInfo},
		{"not a number", http.MethodPut, "abc", 400, `strconv.ParseUint: parsing "abc": invalid syntax`, slog.Level(-1)},
		{"negative", http.MethodPut, "-3", 400, "invalid syntax", slog.Level(-1)},
		{"too long", http.MethodPut, strings.Repeat("1", 1000), 400, "", slog.Level(-1)},
		{"GET unsupported", http.MethodGet, "", 406, "unsupported http method", slog.Level(-1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			level := new(slog.LevelVar)
			level.Set(slog.Level(-1))
			rec := httptest.NewRecorder()
			verbosityHandler(level).ServeHTTP(rec, httptest.NewRequest(tc.method, "/debug/flags/v", strings.NewReader(tc.body)))
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.wantCode, tc.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain" {
				t.Fatalf("Content-Type = %q", ct)
			}
			if level.Level() != tc.wantLevel {
				t.Fatalf("level = %v, want %v", level.Level(), tc.wantLevel)
			}
		})
	}
}
