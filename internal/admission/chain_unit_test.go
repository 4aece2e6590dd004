package admission

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// recorder notes every call in a shared log.
type recorder struct {
	name string
	log  *[]string
	fail bool
}

func (r recorder) Admit(context.Context, *endpoints.Attributes) error {
	*r.log = append(*r.log, "mutate:"+r.name)
	if r.fail {
		return errors.New("no")
	}
	return nil
}

func (r recorder) Validate(context.Context, *endpoints.Attributes) error {
	*r.log = append(*r.log, "validate:"+r.name)
	return nil
}

func TestChainOrder(t *testing.T) {
	cases := []struct {
		name    string
		plugins []string
		insert  string
		failAt  string
		want    []string
	}{
		{name: "mutations in order then validations", plugins: []string{"LimitRanger", "ServiceAccount", "ResourceQuota"},
			want: []string{"mutate:LimitRanger", "mutate:ServiceAccount", "mutate:ResourceQuota"}},
		{name: "insert lands at upstream's position", plugins: []string{"NamespaceLifecycle", "ResourceQuota"}, insert: "ValidatingAdmissionWebhook",
			want: []string{"mutate:NamespaceLifecycle", "mutate:ValidatingAdmissionWebhook", "mutate:ResourceQuota"}},
		{name: "first refusal stops the chain", plugins: []string{"LimitRanger", "ServiceAccount", "ResourceQuota"}, failAt: "ServiceAccount",
			want: []string{"mutate:LimitRanger", "mutate:ServiceAccount"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			var c Chain
			for _, n := range tc.plugins {
				c = append(c, NamedPlugin{Name: n, Plugin: recorder{name: n, log: &log, fail: n == tc.failAt}})
			}
			if tc.insert != "" {
				c = c.Insert(NamedPlugin{Name: tc.insert, Plugin: recorder{name: tc.insert, log: &log}})
			}
			err := c.Mutate(context.Background(), &endpoints.Attributes{})
			if (err != nil) != (tc.failAt != "") {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(log, tc.want) {
				t.Fatalf("calls = %v, want %v", log, tc.want)
			}
			if err != nil {
				return
			}
			log = nil
			if err := c.Validate(context.Background(), &endpoints.Attributes{}); err != nil {
				t.Fatal(err)
			}
			if len(log) != len(tc.want) || log[0] != "validate:"+c[0].Name {
				t.Fatalf("validate calls = %v", log)
			}
		})
	}
}
