package server

import (
	"context"
	"testing"
)

// TestListenPortSharing: two listeners share one address only when both permit it.
func TestListenPortSharing(t *testing.T) {
	ctx := context.Background()
	first, err := listen(ctx, "127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	addr := first.Addr().String()
	second, err := listen(ctx, addr, true)
	if err != nil {
		t.Fatalf("second listener with port sharing: %v", err)
	}
	second.Close()
	if third, err := listen(ctx, addr, false); err == nil {
		third.Close()
		t.Fatal("a listener without port sharing bound the shared address")
	}
}
