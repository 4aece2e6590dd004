// Package etcdlocal is the client kapi uses for its embedded, single-member etcd.
package etcdlocal

import (
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// New returns a client of e and the function that closes it. Unary calls (reads,
// transactions, maintenance) go straight into the member's service implementations
// (etcd's v3client) and watches straight into its multi-version store (watcher):
// no loopback socket, HTTP/2 framing or protobuf round trip, which cost about a
// fifth of kapi's CPU per write when the member was dialled, and then a twentieth
// for the watch caches' streams. Leases keep gRPC on e's loopback listener: etcd's
// in-process adapter streams are unbuffered pipes that deadlock when requests and
// responses flow both ways at once (as they did for watches). Reads stay
// linearizable: with serializable ones, controllers waiting on a finalizer stalled
// under load (e2e deletes that never completed), cause not found.
func New(e *embed.Etcd) (*clientv3.Client, func(), error) {
	if len(e.Clients) == 0 {
		return nil, nil, fmt.Errorf("embedded etcd has no client listener")
	}
	streams, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{"http://" + e.Clients[0].Addr().String()},
		DialTimeout: 20 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("etcd client: %w", err)
	}
	c := v3client.New(e.Server)
	// v3client's own watcher and lessor are replaced, never started.
	c.Watcher = newWatcher(e.Server, e.Config().WatchProgressNotifyInterval)
	c.Lease = streams.Lease
	closeFn := func() {
		_ = c.Close()
		_ = streams.Close()
	}
	return c, closeFn, nil
}
