package etcdtest

import (
	"net/url"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/kapi-dev/kapi/internal/storage/etcdlocal"
)

// ProgressNotifyInterval is how often the test etcd sends progress notifications to
// watches that asked for them; short, so bookmark tests do not wait long.
const ProgressNotifyInterval = 500 * time.Millisecond

// Start runs an embedded etcd for the duration of t and returns a client of it. Ports
// are chosen by the kernel (port 0), so any number of tests may call Start at once.
// The server and the client are closed by t.Cleanup.
func Start(t testing.TB) *clientv3.Client {
	t.Helper()
	return dial(t, startServer(t))
}

// StartBoth is Start and StartInProcess on one member, for tests that hold the
// in-process client to what the gRPC one does.
func StartBoth(t testing.TB) (grpc, inProcess *clientv3.Client) {
	t.Helper()
	e := startServer(t)
	client, closeFn, err := etcdlocal.New(e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return dial(t, e), client
}

// dial is a gRPC client of e, closed by t.Cleanup.
func dial(t testing.TB, e *embed.Etcd) *clientv3.Client {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{"http://" + e.Clients[0].Addr().String()},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	// Registered after e.Close, so it runs first: the client goes before the server.
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// Client names one way of reaching a test etcd.
type Client struct {
	Name  string
	Start func(testing.TB) *clientv3.Client
}

// Clients are both ways kapi reaches etcd, for suites that must hold over each:
// gRPC to --etcd-servers, in-process to the embedded member.
var Clients = []Client{{"grpc", Start}, {"in-process", StartInProcess}}

// StartInProcess is Start with the client kapi uses for its embedded etcd
// (etcdlocal.New: unary calls and watches in-process, leases over gRPC).
func StartInProcess(t testing.TB) *clientv3.Client {
	t.Helper()
	client, closeFn, err := etcdlocal.New(startServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return client
}

func startServer(t testing.TB) *embed.Etcd {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.Name = "etcdtest"
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{loopback}
	cfg.AdvertiseClientUrls = []url.URL{loopback}
	cfg.ListenPeerUrls = []url.URL{loopback}
	cfg.AdvertisePeerUrls = []url.URL{loopback}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	cfg.WatchProgressNotifyInterval = ProgressNotifyInterval
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("start embedded etcd: %v", err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatalf("embedded etcd failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("embedded etcd did not become ready in 30s")
	}

	return e
}
