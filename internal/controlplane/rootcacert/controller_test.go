package rootcacert_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/controlplane/rootcacert"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// withControllers names the built-in controllers explicitly (the default, "*").
func withControllers(c *server.Config) { c.Controllers = []string{"*"} }

func TestRootCAConfigMap(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	want := string(in.Config.CAData)

	// published waits until the namespace's ConfigMap holds the server's CA and the
	// description, and returns it.
	published := func(t *testing.T, ns string) *corev1.ConfigMap {
		t.Helper()
		var cm *corev1.ConfigMap
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			got, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, rootcacert.ConfigMapName, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			cm = got
			return got.Data[rootcacert.DataKey] == want && got.Annotations[rootcacert.DescriptionAnnotation] == rootcacert.Description, nil
		})
		if err != nil {
			t.Fatalf("%s/%s never held the CA: %v (last %+v)", ns, rootcacert.ConfigMapName, err, cm)
		}
		return cm
	}
	newNamespace := func(t *testing.T, name string) {
		t.Helper()
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("system namespaces", func(t *testing.T) {
		for _, ns := range []string{"default", "kube-system", "kube-public"} {
			published(t, ns)
		}
	})
	t.Run("a new namespace", func(t *testing.T) {
		newNamespace(t, "fresh")
		published(t, "fresh")
	})
	t.Run("an edited bundle is restored", func(t *testing.T) {
		newNamespace(t, "edited")
		cm := published(t, "edited")
		cm.Data = map[string]string{rootcacert.DataKey: "not a CA"}
		delete(cm.Annotations, rootcacert.DescriptionAnnotation)
		if _, err := cs.CoreV1().ConfigMaps("edited").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		published(t, "edited")
	})
	t.Run("a deleted bundle comes back", func(t *testing.T) {
		newNamespace(t, "deleted")
		old := published(t, "deleted")
		if err := cs.CoreV1().ConfigMaps("deleted").Delete(ctx, rootcacert.ConfigMapName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if cm := published(t, "deleted"); cm.UID == old.UID {
			t.Errorf("uid unchanged: the ConfigMap was not recreated")
		}
	})
}
