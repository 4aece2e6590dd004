package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestClientContentTypes checks what the load's typed clients ask for on the wire:
// client-go's typed clients ask for protobuf for built-in kinds unless a content
// type is set, which made the JSON LIST figure a protobuf one.
func TestClientContentTypes(t *testing.T) {
	var mu sync.Mutex
	var accept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accept = r.Header.Get("Accept")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`))
	}))
	defer srv.Close()

	cases := []struct {
		name       string
		protobuf   bool
		wantAccept string
	}{
		{name: "json", protobuf: false, wantAccept: "application/json"},
		{name: "protobuf", protobuf: true, wantAccept: "application/vnd.kubernetes.protobuf,application/json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs, err := newClientset(&rest.Config{Host: srv.URL}, c.protobuf, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			got := accept
			mu.Unlock()
			if strings.ReplaceAll(got, " ", "") != c.wantAccept {
				t.Errorf("Accept = %q, want %q", got, c.wantAccept)
			}
		})
	}
}
