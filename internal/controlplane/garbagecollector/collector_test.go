package garbagecollector_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

type fixture struct {
	t  *testing.T
	cs kubernetes.Interface
	ns string
}

// withControllers names the built-in controllers explicitly (the default, "*").
func withControllers(c *server.Config) { c.Controllers = []string{"*"} }

func ownerRef(cm *corev1.ConfigMap, block bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID, BlockOwnerDeletion: &block}
}

func (f fixture) configMap(name string, owners ...metav1.OwnerReference) *corev1.ConfigMap {
	f.t.Helper()
	cm, err := f.cs.CoreV1().ConfigMaps(f.ns).Create(context.Background(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: owners}}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return cm
}

// chain creates a → b → c, each owned by the one before, blocking owner deletion.
func (f fixture) chain(prefix string) (a, b, c *corev1.ConfigMap) {
	a = f.configMap(prefix + "-a")
	b = f.configMap(prefix+"-b", ownerRef(a, true))
	c = f.configMap(prefix+"-c", ownerRef(b, true))
	return a, b, c
}

func (f fixture) gone(names ...string) {
	f.t.Helper()
	for _, name := range names {
		err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := f.cs.CoreV1().ConfigMaps(f.ns).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			f.t.Fatalf("%s still exists: %v", name, err)
		}
	}
}

func (f fixture) get(name string) *corev1.ConfigMap {
	f.t.Helper()
	cm, err := f.cs.CoreV1().ConfigMaps(f.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return cm
}

func (f fixture) delete(name string, policy metav1.DeletionPropagation) {
	f.t.Helper()
	if err := f.cs.CoreV1().ConfigMaps(f.ns).Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		f.t.Fatal(err)
	}
}

func TestGarbageCollection(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gc"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("background deletes the whole chain", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		f.chain("bg")
		f.delete("bg-a", metav1.DeletePropagationBackground)
		f.gone("bg-a", "bg-b", "bg-c")
	})
	t.Run("foreground keeps the owner until its dependents are gone", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		_, _, c := f.chain("fg")
		// A finalizer on c holds the chain so the foreground state can be seen.
		c.Finalizers = []string{"example.com/hold"}
		if _, err := cs.CoreV1().ConfigMaps("gc").Update(context.Background(), c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		f.delete("fg-a", metav1.DeletePropagationForeground)
		err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			c, err := cs.CoreV1().ConfigMaps("gc").Get(ctx, "fg-c", metav1.GetOptions{})
			return err == nil && c.DeletionTimestamp != nil, err
		})
		if err != nil {
			t.Fatalf("fg-c never marked deleted: %v", err)
		}
		for _, name := range []string{"fg-a", "fg-b"} {
			cm := f.get(name)
			if cm.DeletionTimestamp == nil || len(cm.Finalizers) != 1 || cm.Finalizers[0] != metav1.FinalizerDeleteDependents {
				t.Errorf("%s: deletionTimestamp %v finalizers %v, want foregroundDeletion", name, cm.DeletionTimestamp, cm.Finalizers)
			}
		}
		c = f.get("fg-c")
		c.Finalizers = nil
		if _, err := cs.CoreV1().ConfigMaps("gc").Update(context.Background(), c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		f.gone("fg-c", "fg-b", "fg-a")
	})
	t.Run("orphan leaves the dependents without the reference", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		_, b, _ := f.chain("or")
		f.delete("or-a", metav1.DeletePropagationOrphan)
		f.gone("or-a")
		if got := f.get("or-b"); len(got.OwnerReferences) != 0 {
			t.Errorf("or-b owners = %+v, want none", got.OwnerReferences)
		}
		if got := f.get("or-c"); len(got.OwnerReferences) != 1 || got.OwnerReferences[0].UID != b.UID {
			t.Errorf("or-c owners = %+v, want or-b", got.OwnerReferences)
		}
	})
	t.Run("a dependent with a live owner loses only the dead reference", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		dead := f.configMap("two-dead")
		live := f.configMap("two-live")
		f.configMap("two-dep", ownerRef(dead, false), ownerRef(live, false))
		f.delete("two-dead", metav1.DeletePropagationBackground)
		err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := cs.CoreV1().ConfigMaps("gc").Get(ctx, "two-dep", metav1.GetOptions{})
			return err == nil && len(got.OwnerReferences) == 1 && got.OwnerReferences[0].UID == live.UID, err
		})
		if err != nil {
			t.Fatalf("two-dep: %v", err)
		}
	})
	t.Run("an owner reference to a missing object is collected", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		ghost := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "never-existed", UID: "00000000-0000-0000-0000-000000000001"}}
		f.configMap("orphaned", ownerRef(ghost, false))
		f.gone("orphaned")
	})
	t.Run("a foreground cycle unwinds", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		a := f.configMap("cy-a")
		b := f.configMap("cy-b", ownerRef(a, true))
		a.OwnerReferences = []metav1.OwnerReference{ownerRef(b, true)}
		if _, err := cs.CoreV1().ConfigMaps("gc").Update(context.Background(), a, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		f.delete("cy-a", metav1.DeletePropagationForeground)
		f.gone("cy-a", "cy-b")
	})
	t.Run("an owner in another namespace does not count", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		owner := f.configMap("elsewhere-owner")
		if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gc-other"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		other := fixture{t, cs, "gc-other"}
		other.configMap("elsewhere-owner-dep", ownerRef(owner, false))
		other.gone("elsewhere-owner-dep")
		f.get("elsewhere-owner")
	})
	t.Run("owners that exist keep their dependents", func(t *testing.T) {
		f := fixture{t, cs, "gc"}
		f.chain("keep")
		time.Sleep(time.Second)
		for _, name := range []string{"keep-a", "keep-b", "keep-c"} {
			if cm := f.get(name); cm.DeletionTimestamp != nil {
				t.Errorf("%s is being deleted", name)
			}
		}
	})
}
