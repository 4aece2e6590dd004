package encryptionconfig_test

import (
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2/kmsv2test"
)

// TestKMSHealthCheck: the kms-providers check names each failing provider by its
// index in the file, as upstream's kms-provider-<i>.
func TestKMSHealthCheck(t *testing.T) {
	healthy := kmsv2test.Start(t, "key-a")
	sick := kmsv2test.Start(t, "key-b")
	sick.SetHealthz("hsm unreachable")
	b := load(t, header+`resources:
- resources: [secrets]
  providers:
  - kms: {apiVersion: v2, name: first, endpoint: '`+healthy.Endpoint+`', timeout: 1s}
- resources: [configmaps]
  providers:
  - kms: {apiVersion: v2, name: second, endpoint: '`+sick.Endpoint+`', timeout: 1s}
`)
	if !b.UsesKMS() {
		t.Fatal("UsesKMS = false")
	}
	err := b.Check(ctx)
	want := "kms-provider-1: kmsv2 Provider second is not healthy, error: got unexpected healthz status: hsm unreachable"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("check: %v\nwant prefix %s", err, want)
	}
	if strings.Contains(err.Error(), "kms-provider-0") {
		t.Errorf("healthy provider reported: %v", err)
	}
	if none := load(t, header+"resources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n"); none.UsesKMS() || none.Check(ctx) != nil {
		t.Error("a configuration without KMS has a failing or present KMS check")
	}
}
