package authzconfig

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	const head = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n"
	const webhook = `  webhook:
    timeout: 3s
    subjectAccessReviewVersion: v1
    matchConditionSubjectAccessReviewVersion: v1
    failurePolicy: Deny
    authorizedTTL: 1m
    unauthorizedTTL: 10s
    cacheUnauthorizedRequests: false
    connectionInfo:
      type: KubeConfigFile
      kubeConfigFile: /etc/kapi/authz.kubeconfig
`
	tests := []struct {
		name, doc, wantErr string
	}{
		{name: "node rbac webhook", doc: head + "authorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n- type: Webhook\n  name: ext\n" + webhook},
		{name: "empty", doc: head + "authorizers: []\n", wantErr: "authorizers: Required value: at least one authorization mode must be defined"},
		{name: "duplicate rbac", doc: head + "authorizers:\n- type: RBAC\n  name: a\n- type: RBAC\n  name: b\n", wantErr: `authorizers[1].type: Duplicate value: "RBAC"`},
		{name: "duplicate name", doc: head + "authorizers:\n- type: RBAC\n  name: a\n- type: Node\n  name: a\n", wantErr: `authorizers[1].name: Duplicate value: "a"`},
		{name: "unknown type", doc: head + "authorizers:\n- type: ABAC\n  name: a\n", wantErr: `authorizers[0].type: Unsupported value: "ABAC"`},
		{name: "webhook missing", doc: head + "authorizers:\n- type: Webhook\n  name: w\n", wantErr: "authorizers[0].webhook: Required value"},
		{name: "unknown field", doc: head + "authorizers:\n- type: RBAC\n  name: a\n  extra: 1\n", wantErr: "unknown field"},
		{name: "wrong kind", doc: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nauthorizers: []\n", wantErr: "unsupported authorization configuration"},
		{name: "bad match condition", doc: head + "authorizers:\n- type: Webhook\n  name: w\n" + webhook + "    matchConditions:\n    - expression: request.user ==\n",
			wantErr: "authorizers[0].webhook.matchConditions[0].expression"},
		{name: "non-bool match condition", doc: head + "authorizers:\n- type: Webhook\n  name: w\n" + webhook + "    matchConditions:\n    - expression: request.user\n",
			wantErr: "must evaluate to bool"},
		{name: "relative kubeconfig", doc: head + "authorizers:\n- type: Webhook\n  name: w\n" + strings.Replace(webhook, "/etc/kapi/authz.kubeconfig", "authz.kubeconfig", 1),
			wantErr: "must be an absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.doc))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				w := c.Authorizers[2].Webhook
				if a, u := w.TTLs(); a != time.Minute || u != 0 || w.FailurePolicy != "Deny" {
					t.Errorf("webhook = %+v, TTLs %v %v", w, a, u)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
