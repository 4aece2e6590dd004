package filters

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"testing"
	"time"
)

func TestWithProbabilisticGoaway(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name      string
		chance    float64
		protoMaj  int
		draw      float64
		wantClose bool
	}{
		{"drawn under the chance", 0.02, 2, 0.01, true},
		{"drawn over the chance", 0.02, 2, 0.5, false},
		{"HTTP/1.1 is left alone", 0.02, 1, 0.01, false},
		{"chance 0", 0, 2, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := withGoaway(ok, tc.chance, func() float64 { return tc.draw })
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			r.ProtoMajor = tc.protoMaj
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("Connection") == "close"; got != tc.wantClose {
				t.Errorf("Connection: close %v, want %v", got, tc.wantClose)
			}
		})
	}
}

// TestGoawayOverHTTP2: over a real HTTP/2 connection the header becomes a GOAWAY,
// so the client's next request opens a new connection.
func TestGoawayOverHTTP2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		draw      float64
		wantReuse bool
	}{{"goaway", 0, false}, {"no goaway", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(withGoaway(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), MaxGoawayChance,
				func() float64 { return tc.draw }))
			srv.EnableHTTP2 = true
			srv.StartTLS()
			defer srv.Close()
			client := srv.Client()
			get := func() bool {
				reused := false
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
					GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
				}))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.ProtoMajor != 2 {
					t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
				}
				return reused
			}
			get()
			time.Sleep(50 * time.Millisecond) // the GOAWAY frame arrives
			if reused := get(); reused != tc.wantReuse {
				t.Errorf("second request reused the connection: %v, want %v", reused, tc.wantReuse)
			}
		})
	}
}
