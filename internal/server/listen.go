package server

import (
	"context"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// listen opens the secure port's listener. With --permit-port-sharing it sets
// SO_REUSEPORT, as upstream does, so that several processes may bind the same
// address and port (the kernel spreads new connections over them).
func listen(ctx context.Context, addr string, sharePort bool) (net.Listener, error) {
	var lc net.ListenConfig
	if sharePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return lc.Listen(ctx, "tcp", addr)
}
