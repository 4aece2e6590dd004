package builtin_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestSecretStringData checks that stringData is merged into data on every write and
// never stored, as upstream's conversion does, before the writer's fields are
// recorded: it owns f:data, not f:stringData.
func TestSecretStringData(t *testing.T) {
	in := servertest.Start(t)
	secrets := kubernetes.NewForConfigOrDie(in.Config).CoreV1().Secrets("default")
	ctx := context.Background()
	tests := []struct {
		name       string
		write      func() (*corev1.Secret, error)
		wantData   map[string]string
		wantStored bool
	}{
		{name: "create", write: func() (*corev1.Secret, error) {
			return secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"},
				Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}, StringData: map[string]string{"b": "two", "c": "3"}}, metav1.CreateOptions{})
		}, wantData: map[string]string{"a": "1", "b": "two", "c": "3"}, wantStored: true},
		{name: "update", write: func() (*corev1.Secret, error) {
			s, err := secrets.Get(ctx, "s", metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			s.StringData = map[string]string{"a": "one"}
			return secrets.Update(ctx, s, metav1.UpdateOptions{})
		}, wantData: map[string]string{"a": "one", "b": "two", "c": "3"}, wantStored: true},
		{name: "dry run create", write: func() (*corev1.Secret, error) {
			return secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dry"}, StringData: map[string]string{"x": "y"}},
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		}, wantData: map[string]string{"x": "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.write()
			if err != nil {
				t.Fatal(err)
			}
			check := func(s *corev1.Secret) {
				t.Helper()
				if s.StringData != nil || len(s.Data) != len(tc.wantData) {
					t.Fatalf("secret = data %v stringData %v, want data %v", s.Data, s.StringData, tc.wantData)
				}
				for k, v := range tc.wantData {
					if string(s.Data[k]) != v {
						t.Errorf("data[%s] = %q, want %q", k, s.Data[k], v)
					}
				}
			}
			check(got)
			for _, m := range got.ManagedFields {
				if fields := string(m.FieldsV1.Raw); strings.Contains(fields, `"f:stringData"`) || !strings.Contains(fields, `"f:data"`) {
					t.Errorf("manager %s owns %s, want data and no stringData", m.Manager, fields)
				}
			}
			if tc.wantStored {
				stored, err := secrets.Get(ctx, got.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				check(stored)
			}
		})
	}
}
