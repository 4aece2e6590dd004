package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/kapi-dev/kapi/internal/storage/etcdlocal"
)

// embeddedEtcd runs etcd inside the process, reachable on loopback only.
type embeddedEtcd struct {
	etcd *embed.Etcd
	// closeClient closes the client made by client, if any.
	closeClient func()
}

// The embedded member's raft tick and election timeout (etcd's defaults are 100
// and 1000 ms); 5 ticks is the least election timeout etcd accepts.
const (
	embeddedEtcdTickMs     = 20
	embeddedEtcdElectionMs = 5 * embeddedEtcdTickMs
	// embeddedEtcdCatchUpEntries is the raft log kept in memory after a snapshot.
	embeddedEtcdCatchUpEntries = 100
)

func freeLoopbackURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, err
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}, nil
}

// startEmbeddedEtcd starts etcd with its data in dir and waits until it serves.
func startEmbeddedEtcd(dir string) (*embeddedEtcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "kapi"
	cfg.Dir = filepath.Join(dir, "etcd")
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// The member is alone, so no heartbeat crosses a network and the timings only
	// pace its own election, which a starting member holds after a random 1 to
	// ElectionMs/TickMs ticks: with etcd's defaults up to a second of kapi's start,
	// now at most 100 ms. Each tick costs a little CPU, hence not a shorter one.
	cfg.TickMs, cfg.ElectionMs = embeddedEtcdTickMs, embeddedEtcdElectionMs
	// etcd keeps this many applied raft entries in memory for followers that fall
	// behind (5,000 by default: some 20 MB of pods); the member has no followers.
	cfg.SnapshotCatchUpEntries = embeddedEtcdCatchUpEntries
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd did not become ready within 60s")
	}
	return &embeddedEtcd{etcd: e}, nil
}

func (e *embeddedEtcd) Close() {
	if e.closeClient != nil {
		e.closeClient()
	}
	e.etcd.Close()
}

// client returns the client of the embedded member (etcdlocal.New); its close
// function runs with Close.
func (e *embeddedEtcd) client() (*clientv3.Client, error) {
	c, closeFn, err := etcdlocal.New(e.etcd)
	if err != nil {
		return nil, err
	}
	e.closeClient = closeFn
	return c, nil
}

// newEtcdClient connects to endpoints, with client TLS when files are given.
func newEtcdClient(ctx context.Context, endpoints []string, caFile, certFile, keyFile string) (*clientv3.Client, error) {
	var tlsCfg *tls.Config
	if caFile != "" || certFile != "" {
		info := transport.TLSInfo{TrustedCAFile: caFile, CertFile: certFile, KeyFile: keyFile}
		var err error
		if tlsCfg, err = info.ClientConfig(); err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 20 * time.Second,
		TLS:         tlsCfg,
		Logger:      zap.NewNop(),
		Context:     ctx,
		// etcd's default request limit is 1.5 MiB; kube objects up to the 3 MiB body
		// limit must fit.
		MaxCallSendMsgSize: 8 << 20,
		MaxCallRecvMsgSize: 1 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return c, nil
}

// compactLoop compacts etcd to the revision seen one interval earlier, as
// kube-apiserver does, so history stays bounded but recent watches can resume.
func compactLoop(ctx context.Context, c *clientv3.Client, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		resp, err := c.Get(ctx, "compact_rev_key")
		if err != nil {
			continue
		}
		if last > 0 {
			_, _ = c.Compact(ctx, last)
		}
		last = resp.Header.Revision
	}
}
