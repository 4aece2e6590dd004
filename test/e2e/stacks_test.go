package e2e

import (
	"strings"
	"testing"
)

func TestSummarizeStacks(t *testing.T) {
	dump := `SIGQUIT: quit
PC=0x47a1c1 m=0 sigcode=0

goroutine 1 [select, 2 minutes]:
runtime.gopark(0x1?, 0x2?, 0x3?, 0x4?, 0x5?)
	/usr/local/go/src/runtime/proc.go:435 +0xce fp=0xc0000a1 sp=0xc0000a2 pc=0x47
github.com/kapi-dev/kapi/internal/server.(*Server).Run(0xc000123, {0x1, 0x2})
	/work/internal/server/server.go:520 +0x1c5 fp=0xc0000a3 sp=0xc0000a4 pc=0x48
main.main()
	/work/cmd/kapi/main.go:40 +0x25

goroutine 7 [chan receive]:
github.com/kapi-dev/kapi/internal/storage/cacher.(*Cacher).reflect(0xc000456)
	/work/internal/storage/cacher/reflector.go:20 +0x44
created by github.com/kapi-dev/kapi/internal/storage/cacher.New in goroutine 1
	/work/internal/storage/cacher/cacher.go:193 +0x99

goroutine 8 [chan receive, 1 minutes]:
github.com/kapi-dev/kapi/internal/storage/cacher.(*Cacher).reflect(0xc000789)
	/work/internal/storage/cacher/reflector.go:20 +0x44
created by github.com/kapi-dev/kapi/internal/storage/cacher.New in goroutine 1
	/work/internal/storage/cacher/cacher.go:193 +0x99

goroutine 9 [IO wait]:
internal/poll.runtime_pollWait(0x7f, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
net.(*netFD).Read(0xc000999, {0xc0001, 0x1000, 0x1000})
	/usr/local/go/src/net/fd_posix.go:68 +0x25
`
	got := summarizeStacks(dump)
	tests := []struct {
		name, want string
		present    bool
	}{
		{"kapi's stacks are kept", "internal/server.(*Server).Run", true},
		{"identical stacks are counted once", "2× [chan receive]\n  github.com/kapi-dev/kapi/internal/storage/cacher.(*Cacher).reflect", true},
		{"the wait's duration is dropped", "[select]", true},
		{"runtime frames are dropped", "runtime.gopark", false},
		{"goroutine ids are dropped", "in goroutine", false},
		{"stacks without kapi's code are left out", "netFD", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(got, tc.want) != tc.present {
				t.Errorf("summary contains %q = %v, want %v; summary:\n%s", tc.want, !tc.present, tc.present, got)
			}
		})
	}
}
