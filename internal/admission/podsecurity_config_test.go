package admission

import (
	"slices"
	"testing"

	psapi "k8s.io/pod-security-admission/api"
)

// TestParsePodSecurityConfig checks decoding, defaulting and validation of
// PodSecurityConfiguration with upstream's error messages.
func TestParsePodSecurityConfig(t *testing.T) {
	latest := psapi.LatestVersion()
	privileged := psapi.LevelVersion{Level: psapi.LevelPrivileged, Version: latest}
	cases := []struct {
		name       string
		raw        string
		policy     psapi.Policy
		namespaces []string
		err        string
	}{
		{name: "none is all privileged", raw: "",
			policy: psapi.Policy{Enforce: privileged, Audit: privileged, Warn: privileged}},
		{name: "v1 with defaults and exemptions", raw: `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: baseline, enforce-version: v1.30, audit: restricted, warn: restricted, warn-version: v1.25}
exemptions: {namespaces: [kube-system], usernames: [admin], runtimeClasses: [kata.io]}
`, policy: psapi.Policy{
			Enforce: psapi.LevelVersion{Level: psapi.LevelBaseline, Version: psapi.MajorMinorVersion(1, 30)},
			Audit:   psapi.LevelVersion{Level: psapi.LevelRestricted, Version: latest},
			Warn:    psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.MajorMinorVersion(1, 25)},
		}, namespaces: []string{"kube-system"}},
		{name: "v1beta1 as JSON", raw: `{"apiVersion":"pod-security.admission.config.k8s.io/v1beta1","kind":"PodSecurityConfiguration","defaults":{"enforce":"restricted"}}`,
			policy: psapi.Policy{Enforce: psapi.LevelVersion{Level: psapi.LevelRestricted, Version: latest}, Audit: privileged, Warn: privileged}},
		{name: "v1alpha1", raw: "apiVersion: pod-security.admission.config.k8s.io/v1alpha1\nkind: PodSecurityConfiguration\n",
			policy: psapi.Policy{Enforce: privileged, Audit: privileged, Warn: privileged}},
		{name: "kind missing", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\n",
			err: "Object 'Kind' is missing in 'apiVersion: pod-security.admission.config.k8s.io/v1\n'"},
		{name: "apiVersion missing", raw: "kind: PodSecurityConfiguration\n",
			err: "Object 'apiVersion' is missing in 'kind: PodSecurityConfiguration\n'"},
		{name: "unknown version", raw: "apiVersion: pod-security.admission.config.k8s.io/v2\nkind: PodSecurityConfiguration\n",
			err: `no kind "PodSecurityConfiguration" is registered for version "pod-security.admission.config.k8s.io/v2"`},
		{name: "wrong kind", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: Configuration\n",
			err: `no kind "Configuration" is registered for version "pod-security.admission.config.k8s.io/v1"`},
		{name: "unknown field", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforcee: baseline}\n",
			err: `strict decoding error: unknown field "defaults.enforcee"`},
		{name: "duplicate YAML key", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: baseline\n  enforce: restricted\n",
			err: "strict decoding error: yaml: unmarshal errors:\n  line 5: key \"enforce\" already set in map"},
		{name: "duplicate JSON key", raw: `{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"warn":"baseline","warn":"restricted"}}`,
			err: `strict decoding error: duplicate field "defaults.warn"`},
		{name: "wrong type", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions: {usernames: admin}\n",
			err: "json: cannot unmarshal string into Go struct field podSecurityExemptions.exemptions.usernames of type []string"},
		{name: "bad level", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: strict}\n",
			err: "PodSecurity configuration error: enforce: must be one of privileged, baseline, restricted"},
		{name: "bad version and warn level", raw: "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce-version: \"1.30\", warn: loud}\n",
			err: `PodSecurity configuration error: [enforce-version: must be "latest" or "v1.x", warn: must be one of privileged, baseline, restricted]`},
		{name: "bad exemptions", raw: `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
exemptions: {namespaces: [Bad_NS, a, a], runtimeClasses: [-x], usernames: [bob, ""]}
`, err: `PodSecurity invalid: [exemptions.namespaces[0]: Invalid value: "Bad_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), exemptions.namespaces[2]: Duplicate value: "a", exemptions.runtimeClasses[0]: Invalid value: "-x": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), exemptions.usernames[1]: Invalid value: "": username must not be empty]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parsePodSecurityConfig([]byte(tc.raw))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.policy != tc.policy {
				t.Errorf("policy = %s, want %s", cfg.policy.String(), tc.policy.String())
			}
			if !slices.Equal(cfg.Exemptions.Namespaces, tc.namespaces) {
				t.Errorf("exempt namespaces = %q, want %q", cfg.Exemptions.Namespaces, tc.namespaces)
			}
		})
	}
}
