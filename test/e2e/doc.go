// Package e2e holds end-to-end tests: TestMain builds the real kapi binary once,
// starts it on a temporary data directory and a free loopback port, and the tests
// drive it over TLS as a user would, with client-go (typed, dynamic and metadata
// clients, informers), kubectl (skipped when it is not on the PATH) and raw HTTP.
//
// Most tests share one server and isolate themselves in their own namespace;
// restart and shutdown tests start dedicated servers. Run them with
//
//	go test ./test/e2e/...
//
// Set KAPI_E2E_LOG=1 to copy the servers' stderr to the test output.
// TestUpstreamControlPlane runs upstream's kube-controller-manager, kube-scheduler
// and kubemark (hollow kubelets) against kapi when KAPI_UPSTREAM_BIN names a folder
// holding them:
//
//	test/e2e/upstream/build.sh /tmp/upstream && KAPI_UPSTREAM_BIN=/tmp/upstream go test ./test/e2e -run TestUpstreamControlPlane
package e2e
