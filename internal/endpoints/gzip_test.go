package endpoints

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"gzip", true},
		{"deflate, gzip;q=1.0, *;q=0.5", true},
		{"gzip; q=0.5", true},
		{"gzip;q=0", false},
		{"gzip;q=0.000", false},
		{"gzip;q=0.001", true},
		{"identity", false},
		{"", false},
		{"x-gzip", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", tc.header)
		if got := acceptsGzip(r); got != tc.want {
			t.Errorf("Accept-Encoding %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

// TestCompressingWriter: responses under the threshold go out unchanged, with
// their status and headers; larger ones are gzipped, whole, in any number of
// writes.
func TestCompressingWriter(t *testing.T) {
	large := []byte(strings.Repeat(`{"kind":"Pod","metadata":{"name":"p"}},`, 8000)) // ~300 KiB
	tests := []struct {
		name       string
		status     int
		writes     [][]byte
		wantGzip   bool
		wantStatus int
	}{
		{"small object", 0, [][]byte{[]byte(`{"kind":"Pod"}`)}, false, http.StatusOK},
		{"small error keeps its status", http.StatusNotFound, [][]byte{[]byte(`{"kind":"Status"}`)}, false, http.StatusNotFound},
		{"at the threshold", 0, [][]byte{large[:gzipThreshold]}, false, http.StatusOK},
		{"large in one write", 0, [][]byte{large}, true, http.StatusOK},
		{"large in many writes", http.StatusOK, [][]byte{large[:100], large[100 : 64<<10], large[64<<10 : 200<<10], large[200<<10:]}, true, http.StatusOK},
		{"status without a body", http.StatusNoContent, nil, false, http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Length", "123") // a writer that knew its length
			cw := newCompressingWriter(rec)
			if tc.status != 0 {
				cw.WriteHeader(tc.status)
			}
			var want []byte
			for _, w := range tc.writes {
				if _, err := cw.Write(w); err != nil {
					t.Fatal(err)
				}
				want = append(want, w...)
			}
			if err := cw.Close(); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			body := rec.Body.Bytes()
			gzipped := rec.Header().Get("Content-Encoding") == "gzip"
			if gzipped != tc.wantGzip {
				t.Fatalf("gzipped %v, want %v", gzipped, tc.wantGzip)
			}
			if gzipped {
				if rec.Header().Get("Content-Length") != "" || rec.Header().Get("Vary") != "Accept-Encoding" {
					t.Errorf("headers %v", rec.Header())
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body of %d bytes, want %d", len(body), len(want))
			}
		})
	}
}

// TestCompressingWriterNothingWritten: a handler that writes nothing leaves the
// response to the server's defaults.
func TestCompressingWriterNothingWritten(t *testing.T) {
	rec := httptest.NewRecorder()
	cw := newCompressingWriter(rec)
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("wrote %d bytes, headers %v", rec.Body.Len(), rec.Header())
	}
}

// BenchmarkCompressingWriter gzips a 2.5 MB list body written in the list
// encoder's 64 KiB chunks.
func BenchmarkCompressingWriter(b *testing.B) {
	var body []byte
	for i := 0; len(body) < 2500<<10; i++ {
		body = fmt.Appendf(body, `{"metadata":{"name":"pod-%05d","namespace":"ns-%d","uid":"%08x-1b2a-4c3d-9e8f-0a1b2c3d4e5f","resourceVersion":"%d"},"spec":{"nodeName":"node-%d","containers":[{"name":"c","image":"registry.k8s.io/pause:3.10"}]}},`, i, i%100, i*7919, 1000+i, i%100)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		cw := newCompressingWriter(httptest.NewRecorder())
		for off := 0; off < len(body); off += 64 << 10 {
			_, _ = cw.Write(body[off:min(off+64<<10, len(body))])
		}
		_ = cw.Close()
	}
}
