package clusterroleaggregation_test

import (
	"context"
	"slices"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/controlplane/clusterroleaggregation"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// withControllers names the built-in controllers explicitly (the default, "*").
func withControllers(c *server.Config) { c.Controllers = []string{"*"} }

func TestAggregation(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	roles := cs.RbacV1().ClusterRoles()
	rule := func(verb, resource string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{"example.com"}, Resources: []string{resource}}
	}
	labelled := func(name string, labels map[string]string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		if _, err := roles.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// eventually waits until role's rules satisfy ok.
	eventually := func(t *testing.T, name string, ok func([]rbacv1.PolicyRule) bool) *rbacv1.ClusterRole {
		t.Helper()
		var got *rbacv1.ClusterRole
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			got, err = roles.Get(ctx, name, metav1.GetOptions{})
			return err == nil && ok(got.Rules), err
		})
		if err != nil {
			t.Fatalf("%s rules = %+v: %v", name, got.Rules, err)
		}
		return got
	}

	agg := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "aggregate"}, AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"example.com/aggregate": "true"}}}}}
	if _, err := roles.Create(ctx, agg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	on := map[string]string{"example.com/aggregate": "true"}

	t.Run("rules of matching roles, in name order, without duplicates", func(t *testing.T) {
		labelled("b-piece", on, rule("get", "widgets"), rule("list", "widgets"))
		labelled("a-piece", on, rule("get", "gadgets"), rule("get", "widgets"))
		labelled("unrelated", map[string]string{"other": "x"}, rule("delete", "widgets"))
		want := []rbacv1.PolicyRule{rule("get", "gadgets"), rule("get", "widgets"), rule("list", "widgets")}
		got := eventually(t, "aggregate", func(r []rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(r, want) })
		if !slices.ContainsFunc(got.ManagedFields, func(m metav1.ManagedFieldsEntry) bool {
			return m.Manager == clusterroleaggregation.FieldManager && m.Operation == metav1.ManagedFieldsOperationApply
		}) {
			t.Errorf("managedFields = %+v, want an Apply entry of %s", got.ManagedFields, clusterroleaggregation.FieldManager)
		}
	})
	t.Run("a role that loses its label drops out", func(t *testing.T) {
		r, err := roles.Get(ctx, "a-piece", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r.Labels = nil
		if _, err := roles.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		want := []rbacv1.PolicyRule{rule("get", "widgets"), rule("list", "widgets")}
		eventually(t, "aggregate", func(r []rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(r, want) })
	})
	t.Run("the built-in view role picks up a new aggregate-to-view role", func(t *testing.T) {
		labelled("widget-viewer", map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}, rule("watch", "sprockets"))
		eventually(t, "view", func(r []rbacv1.PolicyRule) bool {
			return slices.ContainsFunc(r, func(p rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(p, rule("watch", "sprockets")) })
		})
		// edit and admin aggregate view's pieces too.
		eventually(t, "admin", func(r []rbacv1.PolicyRule) bool {
			return slices.ContainsFunc(r, func(p rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(p, rule("watch", "sprockets")) })
		})
	})
}
