package storagetest

import (
	"context"
	"errors"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/internal/storage"
)

func runCRUDTests(t *testing.T, newStore NewStoreFunc) {
	runCases(t, newStore, []testCase{
		{"create get update delete", testCreateGetUpdateDelete},
		{"create existing is KeyExists", testCreateExisting},
		{"get", testGet},
		{"guaranteed update retries on conflict", testUpdateRetry},
		{"guaranteed update preconditions", testUpdatePreconditions},
		{"guaranteed update ignoreNotFound creates", testUpdateIgnoreNotFound},
		{"delete preconditions", testDeletePreconditions},
	})
}

func testCreateGetUpdateDelete(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	ctx := ctxFor(t)
	created := create(t, s, podSpec{ns: "ns", name: "a", labels: map[string]string{"app": "x"}})
	if created.Name != "a" || created.Labels["app"] != "x" || created.ResourceVersion == "" {
		t.Fatalf("create returned %+v", created.ObjectMeta)
	}
	got := &corev1.Pod{}
	if err := s.Get(ctx, Key("ns", "a"), storage.GetOptions{}, got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ResourceVersion != created.ResourceVersion || got.UID != created.UID {
		t.Fatalf("get returned rv %s uid %s, want %s %s", got.ResourceVersion, got.UID, created.ResourceVersion, created.UID)
	}
	updated := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "n1" })
	if rvOf(t, updated) <= rvOf(t, created) || updated.Spec.NodeName != "n1" {
		t.Fatalf("update returned rv %s node %q", updated.ResourceVersion, updated.Spec.NodeName)
	}
	deleted := del(t, s, "ns", "a")
	if deleted.Spec.NodeName != "n1" {
		t.Fatalf("delete returned %+v, want the last state", deleted.Spec)
	}
	err := s.Get(ctx, Key("ns", "a"), storage.GetOptions{}, &corev1.Pod{})
	wantCode(t, err, storage.CodeNotFound)
}

func testCreateExisting(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	create(t, s, podSpec{ns: "ns", name: "a"})
	err := s.Create(ctxFor(t), Key("ns", "a"), podSpec{ns: "ns", name: "a"}.pod(), &corev1.Pod{})
	wantCode(t, err, storage.CodeKeyExists)
}

func testGet(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	created := create(t, s, podSpec{ns: "ns", name: "a"})
	tests := []struct {
		name     string
		key      string
		opts     storage.GetOptions
		wantCode storage.Code
		wantName string
	}{
		{name: "existing", key: Key("ns", "a"), wantName: "a"},
		{name: "existing at its resourceVersion", key: Key("ns", "a"), opts: storage.GetOptions{ResourceVersion: created.ResourceVersion}, wantName: "a"},
		{name: "missing", key: Key("ns", "b"), wantCode: storage.CodeNotFound},
		{name: "missing ignored", key: Key("ns", "b"), opts: storage.GetOptions{IgnoreNotFound: true}},
		{name: "too large resourceVersion", key: Key("ns", "a"), opts: storage.GetOptions{ResourceVersion: fmtRV(rvOf(t, created) + 1000)}, wantCode: storage.CodeTooLargeResourceVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &corev1.Pod{ObjectMeta: metav1ObjectMeta("stale")}
			err := s.Get(ctxFor(t), tc.key, tc.opts, out)
			if tc.wantCode != 0 {
				wantCode(t, err, tc.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if out.Name != tc.wantName {
				t.Fatalf("got name %q, want %q", out.Name, tc.wantName)
			}
		})
	}
}

func testUpdateRetry(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	create(t, s, podSpec{ns: "ns", name: "a"})
	calls := 0
	out := &corev1.Pod{}
	err := s.GuaranteedUpdate(ctxFor(t), Key("ns", "a"), out, false, nil, func(in runtime.Object) (runtime.Object, error) {
		calls++
		if calls == 1 {
			// A concurrent writer changes the object after our read.
			update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "concurrent" })
		}
		p := in.(*corev1.Pod)
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels["mine"] = "yes"
		return p, nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if calls != 2 {
		t.Fatalf("tryUpdate called %d times, want 2", calls)
	}
	if out.Spec.NodeName != "concurrent" || out.Labels["mine"] != "yes" {
		t.Fatalf("lost a write: node %q labels %v", out.Spec.NodeName, out.Labels)
	}
}

func testUpdatePreconditions(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	created := create(t, s, podSpec{ns: "ns", name: "a"})
	wrongUID, rightUID := types.UID("other"), created.UID
	staleRV, rightRV := fmtRV(rvOf(t, created)-1), created.ResourceVersion
	tests := []struct {
		name     string
		pre      *storage.Preconditions
		wantCode storage.Code
	}{
		{name: "uid mismatch", pre: &storage.Preconditions{UID: &wrongUID}, wantCode: storage.CodePreconditionFailed},
		{name: "resourceVersion mismatch", pre: &storage.Preconditions{ResourceVersion: &staleRV}, wantCode: storage.CodeConflict},
		{name: "both match", pre: &storage.Preconditions{UID: &rightUID, ResourceVersion: &rightRV}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &corev1.Pod{}
			err := s.GuaranteedUpdate(ctxFor(t), Key("ns", "a"), out, false, tc.pre, func(in runtime.Object) (runtime.Object, error) {
				p := in.(*corev1.Pod)
				p.Spec.NodeName = tc.name
				return p, nil
			})
			if tc.wantCode != 0 {
				wantCode(t, err, tc.wantCode)
				return
			}
			if err != nil || out.Spec.NodeName != tc.name {
				t.Fatalf("update: %v, node %q", err, out.Spec.NodeName)
			}
		})
	}
	t.Run("tryUpdate error aborts", func(t *testing.T) {
		boom := errors.New("boom")
		err := s.GuaranteedUpdate(ctxFor(t), Key("ns", "a"), &corev1.Pod{}, false, nil, func(runtime.Object) (runtime.Object, error) {
			return nil, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want %v", err, boom)
		}
	})
	t.Run("missing key", func(t *testing.T) {
		err := s.GuaranteedUpdate(ctxFor(t), Key("ns", "missing"), &corev1.Pod{}, false, nil, func(in runtime.Object) (runtime.Object, error) {
			return in, nil
		})
		wantCode(t, err, storage.CodeNotFound)
	})
}

func testUpdateIgnoreNotFound(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	out := &corev1.Pod{}
	err := s.GuaranteedUpdate(ctxFor(t), Key("ns", "new"), out, true, nil, func(in runtime.Object) (runtime.Object, error) {
		p := podSpec{ns: "ns", name: "new", node: "n1"}.pod()
		return p, nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	got := &corev1.Pod{}
	if err := s.Get(ctxFor(t), Key("ns", "new"), storage.GetOptions{}, got); err != nil || got.Spec.NodeName != "n1" {
		t.Fatalf("get after create-on-update: %v, %+v", err, got.Spec)
	}
}

func testDeletePreconditions(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	created := create(t, s, podSpec{ns: "ns", name: "a"})
	wrongUID, rightUID := types.UID("other"), created.UID
	staleRV := fmtRV(rvOf(t, created) - 1)
	boom := errors.New("refused")
	tests := []struct {
		name     string
		key      string
		pre      *storage.Preconditions
		validate storage.ValidateDeleteFunc
		wantCode storage.Code
		wantErr  error
	}{
		{name: "uid mismatch", key: Key("ns", "a"), pre: &storage.Preconditions{UID: &wrongUID}, wantCode: storage.CodePreconditionFailed},
		{name: "resourceVersion mismatch", key: Key("ns", "a"), pre: &storage.Preconditions{ResourceVersion: &staleRV}, wantCode: storage.CodeConflict},
		{name: "validation refuses", key: Key("ns", "a"), validate: func(ctxArg context.Context, _ runtime.Object) error { return boom }, wantErr: boom},
		{name: "missing", key: Key("ns", "b"), wantCode: storage.CodeNotFound},
		{name: "uid matches", key: Key("ns", "a"), pre: &storage.Preconditions{UID: &rightUID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &corev1.Pod{}
			err := s.Delete(ctxFor(t), tc.key, out, tc.pre, tc.validate)
			switch {
			case tc.wantCode != 0:
				wantCode(t, err, tc.wantCode)
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("delete: %v", err)
			case out.Name != "a":
				t.Fatalf("delete returned %q, want a", out.Name)
			}
		})
	}
	err := s.Get(ctxFor(t), Key("ns", "a"), storage.GetOptions{}, &corev1.Pod{})
	wantCode(t, err, storage.CodeNotFound)
}

func metav1ObjectMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
