package etcdtest

import (
	"context"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	tests := []struct {
		name string
		key  string
		val  string
	}{
		{name: "first server", key: "/a", val: "1"},
		{name: "second server in parallel", key: "/b", val: "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := c.Put(ctx, tc.key, tc.val); err != nil {
				t.Fatalf("put: %v", err)
			}
			resp, err := c.Get(ctx, tc.key)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != tc.val {
				t.Fatalf("got %v, want %s=%s", resp.Kvs, tc.key, tc.val)
			}
		})
	}
}
