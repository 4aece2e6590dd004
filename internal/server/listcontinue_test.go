package server_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestListContinue: a continue token is refused with kube-apiserver's message when
// it does not parse, and once etcd compacted the snapshot of a paginated list, the
// 410 carries a token that lists the rest at the latest revision (as client-go's
// pager and kubectl expect of upstream).
func TestListContinue(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(in.Config)
	cms := cs.CoreV1().ConfigMaps("default")
	for i := range 4 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("page-%d", i), Labels: map[string]string{"page": "yes"}}}
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("unparsable token", func(t *testing.T) {
		_, err := cms.List(ctx, metav1.ListOptions{Limit: 2, Continue: "%%%"})
		const want = "invalid continue token: continue key is not valid: illegal base64 data at input byte 0"
		var st apierrors.APIStatus
		if !apierrors.IsBadRequest(err) || !errors.As(err, &st) || st.Status().Message != want {
			t.Fatalf("got %v, want BadRequest %q", err, want)
		}
	})

	t.Run("good token beside a resourceVersion", func(t *testing.T) {
		first, err := cms.List(ctx, metav1.ListOptions{Limit: 2})
		if err != nil || first.Continue == "" {
			t.Fatalf("first page: %v %+v", err, first)
		}
		_, err = cms.List(ctx, metav1.ListOptions{Limit: 2, Continue: first.Continue, ResourceVersion: first.ResourceVersion})
		const want = "specifying resource version is not allowed when using continue"
		var st apierrors.APIStatus
		if !apierrors.IsBadRequest(err) || !errors.As(err, &st) || st.Status().Message != want {
			t.Fatalf("got %v, want BadRequest %q", err, want)
		}
	})

	t.Run("compacted snapshot", func(t *testing.T) {
		opts := metav1.ListOptions{LabelSelector: "page=yes", Limit: 2}
		first, err := cms.List(ctx, opts)
		if err != nil || len(first.Items) != 2 || first.Continue == "" {
			t.Fatalf("first page: %v %+v", err, first)
		}
		// Change an item of the second page, then compact past the first page's snapshot.
		changed, err := cms.Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "page-3", Labels: map[string]string{"page": "yes"}},
			Data: map[string]string{"changed": "yes"}}, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rev, err := strconv.ParseInt(changed.ResourceVersion, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Etcd.Compact(ctx, rev); err != nil {
			t.Fatal(err)
		}

		opts.Continue = first.Continue
		_, err = cms.List(ctx, opts)
		var st apierrors.APIStatus
		if !apierrors.IsResourceExpired(err) || !errors.As(err, &st) || st.Status().Continue == "" {
			t.Fatalf("continue after compaction: %v, want 410 Expired carrying a continue token", err)
		}
		opts.Continue = st.Status().Continue
		rest, err := cms.List(ctx, opts)
		if err != nil {
			t.Fatalf("continue with the 410's token: %v", err)
		}
		if len(rest.Items) != 2 || rest.Items[0].Name != "page-2" || rest.Items[1].Data["changed"] != "yes" || rest.Continue != "" {
			t.Fatalf("rest %+v: want page-2 and the changed page-3, and no further page", rest.Items)
		}
		if got, _ := strconv.ParseInt(rest.ResourceVersion, 10, 64); got < rev {
			t.Fatalf("rest listed at %s, want the latest revision (at least %d)", rest.ResourceVersion, rev)
		}
	})
}
