package rbac_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// rbacServer starts kapi with --authorization-mode=RBAC and token users alice and bob.
func rbacServer(t *testing.T) (admin *kubernetes.Clientset, userClient func(name string) *kubernetes.Clientset) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("alice-token,alice,1001,\"devs\"\nbob-token,bob,1002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AuthorizationModes = []string{"RBAC"}
		c.TokenAuthFile = tokens
	})
	admin = kubernetes.NewForConfigOrDie(in.Config)
	return admin, func(name string) *kubernetes.Clientset {
		cfg := rest.AnonymousClientConfig(in.Config)
		cfg.BearerToken = name + "-token"
		cfg.QPS, cfg.Burst = -1, 0
		return kubernetes.NewForConfigOrDie(cfg)
	}
}

// eventually retries f until it succeeds or ten seconds pass: the authorizer sees a
// new binding once its watch delivers it.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRBACEndToEnd(t *testing.T) {
	admin, as := rbacServer(t)
	ctx := context.Background()
	alice, bob := as("alice"), as("bob")

	mustCreate := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Self reviews for every authenticated user, as upstream's system:basic-user.
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-basic-user"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, Verbs: []string{"create"}},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}, Verbs: []string{"create"}},
		},
	}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "test-basic-user"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-basic-user"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "system:authenticated"}},
	}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = admin.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}, ResourceNames: []string{"allowed"}},
		},
	}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "devs-read-pods"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "devs"}},
	}, metav1.CreateOptions{})
	mustCreate(err)
	for _, name := range []string{"allowed", "other"} {
		_, err = admin.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		mustCreate(err)
	}

	eventually(t, func() error {
		_, err := alice.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		return err
	})

	forbidden := []struct {
		name    string
		call    func() error
		message string
	}{
		{"other namespace", func() error { _, err := alice.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{}); return err },
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"`},
		{"verb not granted", func() error {
			return alice.CoreV1().Pods("default").Delete(ctx, "x", metav1.DeleteOptions{})
		}, `pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"`},
		{"resource name not granted", func() error {
			_, err := alice.CoreV1().ConfigMaps("default").Get(ctx, "other", metav1.GetOptions{})
			return err
		}, `configmaps "other" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "default"`},
		{"list needs a rule without names", func() error {
			_, err := alice.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
			return err
		}, `configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"`},
		{"subresource not granted", func() error {
			_, err := alice.CoreV1().Pods("default").UpdateStatus(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.UpdateOptions{})
			return err
		}, `pods "x" is forbidden: User "alice" cannot update resource "pods/status" in API group "" in the namespace "default"`},
		{"cluster scope", func() error { _, err := alice.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); return err },
			`nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{"user without bindings", func() error { _, err := bob.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); return err },
			`pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"`},
	}
	for _, tc := range forbidden {
		t.Run("forbidden/"+tc.name, func(t *testing.T) {
			err := tc.call()
			if !apierrors.IsForbidden(err) {
				t.Fatalf("err = %v, want Forbidden", err)
			}
			if err.Error() != tc.message {
				t.Errorf("message = %q\nwant      %q", err.Error(), tc.message)
			}
		})
	}
	t.Run("granted resource name", func(t *testing.T) {
		if _, err := alice.CoreV1().ConfigMaps("default").Get(ctx, "allowed", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("binding to a missing role says why", func(t *testing.T) {
		_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "bob-missing"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "does-not-exist"},
			Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}},
		}, metav1.CreateOptions{})
		mustCreate(err)
		want := `secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "does-not-exist" not found`
		eventually(t, func() error {
			_, err := bob.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
			if err == nil || err.Error() != want {
				return fmt.Errorf("err = %v, want %s", err, want)
			}
			return nil
		})
	})

	t.Run("access reviews", func(t *testing.T) {
		ssar := func(ns, verb string) bool {
			t.Helper()
			r, err := alice.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "pods"}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return r.Status.Allowed
		}
		if !ssar("default", "list") || ssar("default", "delete") || ssar("kube-system", "list") {
			t.Errorf("self reviews: list default %v, delete default %v, list kube-system %v; want true false false",
				ssar("default", "list"), ssar("default", "delete"), ssar("kube-system", "list"))
		}
		sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "carol", Groups: []string{"devs"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantReason := `RBAC: allowed by RoleBinding "devs-read-pods/default" of Role "pod-reader" to Group "devs"`
		if !sar.Status.Allowed || sar.Status.Reason != wantReason {
			t.Errorf("SubjectAccessReview status = %+v, want allowed with reason %q", sar.Status, wantReason)
		}
		lsar, err := admin.AuthorizationV1().LocalSubjectAccessReviews("default").Create(ctx, &authorizationv1.LocalSubjectAccessReview{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default"},
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "bob",
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if lsar.Status.Allowed {
			t.Errorf("LocalSubjectAccessReview for bob allowed; want denied")
		}
		_, err = admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get"}},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.user: Invalid value: \"\": at least one of user or group must be specified") {
			t.Errorf("review without user: err = %v, want 422 naming spec.user", err)
		}
	})

	t.Run("rules review", func(t *testing.T) {
		r, err := alice.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, rule := range r.Status.ResourceRules {
			if strings.Join(rule.Resources, ",") == "pods" && strings.Join(rule.Verbs, ",") == "get,list" {
				found = true
			}
		}
		if !found || r.Status.Incomplete {
			t.Errorf("rules = %+v, want pods get,list and complete", r.Status)
		}
	})

	t.Run("self subject review", func(t *testing.T) {
		r, err := alice.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		u := r.Status.UserInfo
		if u.Username != "alice" || u.UID != "1001" || strings.Join(u.Groups, ",") != "devs,system:authenticated" {
			t.Errorf("user info = %+v", u)
		}
	})

	t.Run("escalation", func(t *testing.T) {
		_, err := admin.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "role-writer"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}, Verbs: []string{"create"}}},
		}, metav1.CreateOptions{})
		mustCreate(err)
		_, err = admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "alice-role-writer"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "role-writer"},
			Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}},
		}, metav1.CreateOptions{})
		mustCreate(err)
		_, err = admin.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "secret-reader"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
		}, metav1.CreateOptions{})
		mustCreate(err)

		tests := []struct {
			name, wantErr string
			create        func() error
		}{
			{name: "role with held rules", create: func() error {
				_, err := alice.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "held"},
					Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}}}, metav1.CreateOptions{})
				return err
			}},
			{name: "role with rules not held", create: func() error {
				_, err := alice.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "grab"},
					Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{})
				return err
			}, wantErr: `roles.rbac.authorization.k8s.io "grab" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`},
			{name: "binding to a role whose rules are held", create: func() error {
				_, err := alice.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-pods"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
					Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}}}, metav1.CreateOptions{})
				return err
			}},
			{name: "binding to a role whose rules are not held", create: func() error {
				_, err := alice.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-secrets"},
					RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
					Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}}}, metav1.CreateOptions{})
				return err
			}, wantErr: `rolebindings.rbac.authorization.k8s.io "bob-secrets" is forbidden: user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var err error
				// The role-writer binding reaches the authorizer through its watch.
				eventually(t, func() error {
					err = tc.create()
					if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "cannot create resource") {
						return err
					}
					return nil
				})
				switch {
				case tc.wantErr == "" && err != nil:
					t.Fatalf("err = %v, want success", err)
				case tc.wantErr != "" && (!apierrors.IsForbidden(err) || err.Error() != tc.wantErr):
					t.Fatalf("err = %v\nwant Forbidden %q", err, tc.wantErr)
				}
			})
		}
		_, err = admin.RbacV1().Roles("default").Get(ctx, "grab", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("refused role was stored: err = %v", err)
		}
	})
}
