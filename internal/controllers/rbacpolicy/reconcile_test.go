package rbacpolicy_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/controllers/rbacpolicy"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// checkPolicyStored fails unless every object of the policy is stored with the
// policy's labels, annotations, rules, aggregation rule, roleRef and subjects.
func checkPolicyStored(t *testing.T, ctx context.Context, stores rbacpolicy.StoreFor) {
	t.Helper()
	p := rbacpolicy.Bootstrap()
	opt := cmpopts.EquateEmpty()
	for _, want := range p.ClusterRoles {
		obj, err := stores(rbacv1.SchemeGroupVersion.WithResource("clusterroles")).Get(ctx, "", want.Name, &metav1.GetOptions{})
		if err != nil {
			t.Errorf("clusterrole %s: %v", want.Name, err)
			continue
		}
		got := obj.(*rbacv1.ClusterRole)
		if diff := cmp.Diff([]any{want.Labels, want.Annotations, want.Rules, want.AggregationRule},
			[]any{got.Labels, got.Annotations, got.Rules, got.AggregationRule}, opt); diff != "" {
			t.Errorf("clusterrole %s (-policy +stored):\n%s", want.Name, diff)
		}
	}
	for _, want := range p.ClusterRoleBindings {
		obj, err := stores(rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings")).Get(ctx, "", want.Name, &metav1.GetOptions{})
		if err != nil {
			t.Errorf("clusterrolebinding %s: %v", want.Name, err)
			continue
		}
		got := obj.(*rbacv1.ClusterRoleBinding)
		if diff := cmp.Diff([]any{want.Labels, want.Annotations, want.RoleRef, want.Subjects},
			[]any{got.Labels, got.Annotations, got.RoleRef, got.Subjects}, opt); diff != "" {
			t.Errorf("clusterrolebinding %s (-policy +stored):\n%s", want.Name, diff)
		}
	}
	for _, want := range p.Roles {
		obj, err := stores(rbacv1.SchemeGroupVersion.WithResource("roles")).Get(ctx, want.Namespace, want.Name, &metav1.GetOptions{})
		if err != nil {
			t.Errorf("role %s/%s: %v", want.Namespace, want.Name, err)
			continue
		}
		got := obj.(*rbacv1.Role)
		if diff := cmp.Diff([]any{want.Labels, want.Annotations, want.Rules}, []any{got.Labels, got.Annotations, got.Rules}, opt); diff != "" {
			t.Errorf("role %s/%s (-policy +stored):\n%s", want.Namespace, want.Name, diff)
		}
	}
	for _, want := range p.RoleBindings {
		obj, err := stores(rbacv1.SchemeGroupVersion.WithResource("rolebindings")).Get(ctx, want.Namespace, want.Name, &metav1.GetOptions{})
		if err != nil {
			t.Errorf("rolebinding %s/%s: %v", want.Namespace, want.Name, err)
			continue
		}
		got := obj.(*rbacv1.RoleBinding)
		if diff := cmp.Diff([]any{want.Labels, want.Annotations, want.RoleRef, want.Subjects},
			[]any{got.Labels, got.Annotations, got.RoleRef, got.Subjects}, opt); diff != "" {
			t.Errorf("rolebinding %s/%s (-policy +stored):\n%s", want.Namespace, want.Name, diff)
		}
	}
}

// TestReconcileFreshEtcd: on an empty etcd every object of the policy is created
// exactly as the policy says, with the namespaces it needs; several servers starting
// at once over one etcd all succeed.
func TestReconcileFreshEtcd(t *testing.T) {
	for _, servers := range []int{1, 3} {
		t.Run(map[int]string{1: "one server", 3: "three servers at once"}[servers], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			stores := storesOver(t, etcdtest.Start(t))
			var wg sync.WaitGroup
			errs := make([]error, servers)
			for i := range servers {
				wg.Go(func() { errs[i] = rbacpolicy.Reconcile(ctx, stores) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("server %d: %v", i, err)
				}
			}
			checkPolicyStored(t, ctx, stores)
			for _, ns := range []string{"kube-system", "kube-public"} {
				if _, err := stores(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, "", ns, &metav1.GetOptions{}); err != nil {
					t.Errorf("namespace %s: %v", ns, err)
				}
			}
		})
	}
}

// TestReconcileUnreachableEtcd: with etcd gone, Reconcile gives up when its context
// ends instead of hanging.
func TestReconcileUnreachableEtcd(t *testing.T) {
	client := etcdtest.Start(t)
	stores := storesOver(t, client)
	_ = client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := rbacpolicy.Reconcile(ctx, stores); err == nil {
		t.Fatal("Reconcile succeeded without etcd")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Reconcile took %v after its context ended", d)
	}
}

// TestReconcileAgainstUserChanges runs the policy over a real server's etcd, lets a
// user change objects through the API, and reconciles again as the next start would.
func TestReconcileAgainstUserChanges(t *testing.T) {
	// No built-in controllers: the clusterrole aggregation controller would rewrite
	// the aggregated roles these cases check.
	in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = []string{} })
	cs := kubernetes.NewForConfigOrDie(in.Config)
	stores := storesOver(t, in.Etcd)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := rbacpolicy.Reconcile(ctx, stores); err != nil {
		t.Fatal(err)
	}
	crs, crbs := cs.RbacV1().ClusterRoles(), cs.RbacV1().ClusterRoleBindings()
	userRule := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}
	policyRules := func(name string) []rbacv1.PolicyRule {
		for _, r := range rbacpolicy.Bootstrap().ClusterRoles {
			if r.Name == name {
				return r.Rules
			}
		}
		t.Fatalf("no policy role %s", name)
		return nil
	}
	getRole := func(t *testing.T, name string) *rbacv1.ClusterRole {
		t.Helper()
		r, err := crs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	getBinding := func(t *testing.T, name string) *rbacv1.ClusterRoleBinding {
		t.Helper()
		b, err := crbs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each case changes its own objects, so that the cases share one server.
	tests := []struct {
		name   string
		change func(t *testing.T) (before any)
		check  func(t *testing.T, before any)
	}{
		{
			name: "a user's extra rule on an autoupdate role survives",
			change: func(t *testing.T) any {
				r := getRole(t, "system:basic-user")
				r.Rules = append(r.Rules, userRule)
				_, err := crs.Update(ctx, r, metav1.UpdateOptions{})
				must(t, err)
				return nil
			},
			check: func(t *testing.T, _ any) {
				got := getRole(t, "system:basic-user").Rules
				want := append(policyRules("system:basic-user"), userRule)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("rules (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "a removed policy rule is added back",
			change: func(t *testing.T) any {
				r := getRole(t, "system:heapster")
				r.Rules = r.Rules[:1]
				_, err := crs.Update(ctx, r, metav1.UpdateOptions{})
				must(t, err)
				return nil
			},
			check: func(t *testing.T, _ any) {
				// As upstream, what is missing comes back one verb and resource per rule.
				want := policyRules("system:heapster")[:1]
				for _, verb := range []string{"get", "list", "watch"} {
					want = append(want, rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{"extensions"}, Resources: []string{"deployments"}})
				}
				if diff := cmp.Diff(want, getRole(t, "system:heapster").Rules); diff != "" {
					t.Errorf("rules (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "an autoupdate=false role is untouched",
			change: func(t *testing.T) any {
				r := getRole(t, "system:kube-dns")
				r.Annotations[rbacpolicy.AutoUpdateAnnotation] = "false"
				delete(r.Labels, rbacpolicy.BootstrappingLabel)
				r.Rules = []rbacv1.PolicyRule{userRule}
				updated, err := crs.Update(ctx, r, metav1.UpdateOptions{})
				must(t, err)
				return updated
			},
			check: func(t *testing.T, before any) {
				got := getRole(t, "system:kube-dns")
				if got.ResourceVersion != before.(*rbacv1.ClusterRole).ResourceVersion {
					t.Errorf("role rewritten: %+v", got)
				}
			},
		},
		{
			name: "a deleted bootstrap role comes back",
			change: func(t *testing.T) any {
				must(t, crs.Delete(ctx, "system:node-bootstrapper", metav1.DeleteOptions{}))
				return nil
			},
			check: func(t *testing.T, _ any) {
				got := getRole(t, "system:node-bootstrapper")
				if diff := cmp.Diff(policyRules("system:node-bootstrapper"), got.Rules); diff != "" {
					t.Errorf("rules (-want +got):\n%s", diff)
				}
				if got.Labels[rbacpolicy.BootstrappingLabel] != "rbac-defaults" {
					t.Errorf("labels = %v", got.Labels)
				}
			},
		},
		{
			name: "a binding with a changed roleRef is recreated",
			change: func(t *testing.T) any {
				old := getBinding(t, "system:volume-scheduler")
				must(t, crbs.Delete(ctx, old.Name, metav1.DeleteOptions{}))
				changed := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: old.Name},
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: old.Subjects}
				created, err := crbs.Create(ctx, changed, metav1.CreateOptions{})
				must(t, err)
				return created
			},
			check: func(t *testing.T, before any) {
				got := getBinding(t, "system:volume-scheduler")
				if got.RoleRef.Name != "system:volume-scheduler" || got.UID == before.(*rbacv1.ClusterRoleBinding).UID {
					t.Errorf("binding not recreated: uid %s roleRef %+v", got.UID, got.RoleRef)
				}
			},
		},
		{
			name: "an autoupdate=false binding keeps its roleRef",
			change: func(t *testing.T) any {
				must(t, crbs.Delete(ctx, "system:kube-dns", metav1.DeleteOptions{}))
				created, err := crbs.Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "system:kube-dns", Annotations: map[string]string{rbacpolicy.AutoUpdateAnnotation: "false"}},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				}, metav1.CreateOptions{})
				must(t, err)
				return created
			},
			check: func(t *testing.T, before any) {
				if got := getBinding(t, "system:kube-dns"); got.ResourceVersion != before.(*rbacv1.ClusterRoleBinding).ResourceVersion {
					t.Errorf("protected binding rewritten: %+v", got)
				}
			},
		},
		{
			name: "a user's subject stays and a removed one comes back",
			change: func(t *testing.T) any {
				b := getBinding(t, "system:public-info-viewer")
				b.Subjects = []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}
				_, err := crbs.Update(ctx, b, metav1.UpdateOptions{})
				must(t, err)
				return nil
			},
			check: func(t *testing.T, _ any) {
				got := getBinding(t, "system:public-info-viewer").Subjects
				want := []rbacv1.Subject{
					{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"},
					{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:authenticated"},
					{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:unauthenticated"},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("subjects (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "an aggregated role keeps the rules aggregation gave it",
			change: func(t *testing.T) any {
				r := getRole(t, "admin")
				r.Rules = []rbacv1.PolicyRule{userRule}
				_, err := crs.Update(ctx, r, metav1.UpdateOptions{})
				must(t, err)
				return nil
			},
			check: func(t *testing.T, _ any) {
				got := getRole(t, "admin")
				if diff := cmp.Diff([]rbacv1.PolicyRule{userRule}, got.Rules); diff != "" {
					t.Errorf("rules (-want +got):\n%s", diff)
				}
				if got.AggregationRule == nil || len(got.AggregationRule.ClusterRoleSelectors) != 1 {
					t.Errorf("aggregationRule = %+v", got.AggregationRule)
				}
			},
		},
		{
			name: "a user's label stays, a removed label and annotation come back",
			change: func(t *testing.T) any {
				r := getRole(t, "edit")
				r.Labels = map[string]string{"team": "a", "rbac.authorization.k8s.io/aggregate-to-admin": "false"}
				r.Annotations = nil
				_, err := crs.Update(ctx, r, metav1.UpdateOptions{})
				must(t, err)
				return nil
			},
			check: func(t *testing.T, _ any) {
				got := getRole(t, "edit")
				wantLabels := map[string]string{"team": "a", "rbac.authorization.k8s.io/aggregate-to-admin": "false",
					rbacpolicy.BootstrappingLabel: "rbac-defaults"}
				if diff := cmp.Diff(wantLabels, got.Labels); diff != "" {
					t.Errorf("labels (-want +got):\n%s", diff)
				}
				if got.Annotations[rbacpolicy.AutoUpdateAnnotation] != "true" {
					t.Errorf("annotations = %v", got.Annotations)
				}
			},
		},
		{
			name: "a deleted namespaced role and binding come back",
			change: func(t *testing.T) any {
				must(t, cs.RbacV1().Roles("kube-public").Delete(ctx, "system:controller:bootstrap-signer", metav1.DeleteOptions{}))
				must(t, cs.RbacV1().RoleBindings("kube-system").Delete(ctx, "system:controller:token-cleaner", metav1.DeleteOptions{}))
				return nil
			},
			check: func(t *testing.T, _ any) {
				if _, err := cs.RbacV1().Roles("kube-public").Get(ctx, "system:controller:bootstrap-signer", metav1.GetOptions{}); err != nil {
					t.Error(err)
				}
				b, err := cs.RbacV1().RoleBindings("kube-system").Get(ctx, "system:controller:token-cleaner", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(b.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Namespace: "kube-system", Name: "token-cleaner"}) {
					t.Errorf("subjects = %+v", b.Subjects)
				}
			},
		},
	}
	before := make([]any, len(tests))
	for i, tc := range tests {
		t.Run(tc.name+"/change", func(t *testing.T) { before[i] = tc.change(t) })
	}
	if err := rbacpolicy.Reconcile(ctx, stores); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, before[i]) })
	}
}

// TestReconcileUpgrade: objects left by an older server are carried over once, as
// upstream does: rules a user added to the pre-aggregation admin role move to
// system:aggregate-to-admin, and system:discovery's subjects seed
// system:public-info-viewer.
func TestReconcileUpgrade(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stores := storesOver(t, etcdtest.Start(t))
	userRule := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}
	admin := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin"}, Rules: []rbacv1.PolicyRule{userRule}}
	alice := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}
	discovery := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:discovery"},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:discovery"}, Subjects: []rbacv1.Subject{alice}}
	if _, err := stores(rbacv1.SchemeGroupVersion.WithResource("clusterroles")).Create(ctx, "", admin, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := stores(rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings")).Create(ctx, "", discovery, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := rbacpolicy.Reconcile(ctx, stores); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, resource, object string
		contains               func(obj any) bool
	}{
		{"admin's rules moved to system:aggregate-to-admin", "clusterroles", "system:aggregate-to-admin",
			func(obj any) bool {
				return slices.ContainsFunc(obj.(*rbacv1.ClusterRole).Rules, func(r rbacv1.PolicyRule) bool { return cmp.Equal(r, userRule) })
			}},
		{"admin became aggregated", "clusterroles", "admin",
			func(obj any) bool { return obj.(*rbacv1.ClusterRole).AggregationRule != nil }},
		{"system:discovery's subjects seeded system:public-info-viewer", "clusterrolebindings", "system:public-info-viewer",
			func(obj any) bool { return slices.Contains(obj.(*rbacv1.ClusterRoleBinding).Subjects, alice) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := stores(rbacv1.SchemeGroupVersion.WithResource(tc.resource)).Get(ctx, "", tc.object, &metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.contains(obj) {
				t.Errorf("%s %s = %+v", tc.resource, tc.object, obj)
			}
		})
	}
}
