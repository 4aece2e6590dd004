package etcd3_test

import (
	"bytes"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
)

// TestVersionCodec writes a v1 object as upstream's v1beta1 value and reads it back.
func TestVersionCodec(t *testing.T) {
	scheme := apis.NewScheme()
	proto := protobuf.NewSerializer(scheme, scheme)
	beta := certificatesv1beta1.SchemeGroupVersion.WithKind("ClusterTrustBundle")
	codec := etcd3.NewVersionCodec(proto, scheme, beta)
	in := &certificatesv1.ClusterTrustBundle{
		ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:b", Labels: map[string]string{"a": "b"}},
		Spec:       certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: "pem"},
	}
	in.SetGroupVersionKind(certificatesv1.SchemeGroupVersion.WithKind("ClusterTrustBundle"))
	var buf bytes.Buffer
	if err := codec.Encode(in, &buf); err != nil {
		t.Fatal(err)
	}
	_, gvk, err := proto.Decode(buf.Bytes(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *gvk != beta {
		t.Fatalf("stored as %s, want %s", gvk, beta)
	}
	out := &certificatesv1.ClusterTrustBundle{}
	if _, _, err := codec.Decode(buf.Bytes(), nil, out); err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(in.Spec, out.Spec) || out.Name != in.Name || out.Labels["a"] != "b" {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
}
