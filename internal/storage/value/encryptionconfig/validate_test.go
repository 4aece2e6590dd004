package encryptionconfig_test

import (
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
)

const (
	key16 = "MTIzNDU2Nzg5MDEyMzQ1Ng=="                     // 16 bytes
	key32 = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=" // 32 bytes
	key8  = "MTIzNDU2Nzg="                                 // 8 bytes
)

const header = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"

func TestParseValidation(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string
		reload bool
		// want is the whole error message; "" means valid.
		want string
	}{
		{name: "aescbc secrets", yaml: header + `resources:
- resources: [secrets]
  providers:
  - aescbc: {keys: [{name: k1, secret: ` + key32 + `}]}
  - identity: {}`},
		{name: "json is yaml", yaml: `{"apiVersion":"apiserver.config.k8s.io/v1","kind":"EncryptionConfiguration","resources":[{"resources":["*.*"],"providers":[{"identity":{}}]}]}`},
		{name: "every wildcard form", yaml: header + `resources:
- resources: [events]
  providers: [{identity: {}}]
- resources: ['*.apps', 'widgets.example.com']
  providers: [{secretbox: {keys: [{name: s, secret: ` + key32 + `}]}}]
- resources: ['*.']
  providers: [{aesgcm: {keys: [{name: g, secret: ` + key16 + `}]}}]
- resources: ['*.*']
  providers: [{kms: {apiVersion: v2, name: kms1, endpoint: 'unix:///tmp/kms.sock'}}]`},
		{name: "no resources", yaml: header + "resources: []",
			want: "resources: Required value: at least one resources is required"},
		{name: "entry without resources or providers", yaml: header + "resources:\n- resources: []\n  providers: []",
			want: "[resources[0].resources: Required value: at least one resources[0].resources is required, resources[0].providers: Required value: at least one resources[0].providers is required]"},
		{name: "aes key of 8 bytes", yaml: header + `resources:
- resources: [secrets]
  providers: [{aescbc: {keys: [{name: k1, secret: ` + key8 + `}]}}]`,
			want: `resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]`},
		{name: "secretbox key of 16 bytes", yaml: header + `resources:
- resources: [secrets]
  providers: [{secretbox: {keys: [{name: k1, secret: ` + key16 + `}]}}]`,
			want: `resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]`},
		{name: "secret not base64", yaml: header + `resources:
- resources: [secrets]
  providers: [{aesgcm: {keys: [{name: k1, secret: "not base64!"}]}}]`,
			want: `resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded`},
		{name: "key without name or secret", yaml: header + `resources:
- resources: [secrets]
  providers: [{aesgcm: {keys: [{name: "", secret: ""}]}}]`,
			want: `[resources[0].providers[0].aesgcm.keys[0].name: Required value: name is a mandatory field for a key, resources[0].providers[0].aesgcm.keys[0].secret: Required value: secret is a mandatory field for a key]`},
		{name: "no keys", yaml: header + `resources:
- resources: [secrets]
  providers: [{aesgcm: {keys: []}}]`,
			want: `resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required`},
		{name: "two providers in one element, secret redacted", yaml: header + `resources:
- resources: [secrets]
  providers: [{aesgcm: {keys: [{name: k1, secret: ` + key32 + `}]}, identity: {}}]`,
			want: `resources[0].providers[0]: Invalid value: {"AESGCM":{"Keys":[{"Name":"k1","Secret":"REDACTED"}]},"AESCBC":null,"Secretbox":null,"Identity":{},"KMS":null}: more than one provider specified in a single element, should split into different list elements`},
		{name: "empty provider", yaml: header + `resources:
- resources: [secrets]
  providers: [{}]`,
			want: `resources[0].providers[0]: Invalid value: {"AESGCM":null,"AESCBC":null,"Secretbox":null,"Identity":null,"KMS":null}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity`},
		{name: "overlap with core wildcard", yaml: header + `resources:
- resources: [secrets, '*.']
  providers: [{identity: {}}]`,
			want: `resources[0].resources: Invalid value: ["secrets","*."]: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`},
		{name: "duplicate resource", yaml: header + `resources:
- resources: [secrets, secrets]
  providers: [{identity: {}}]`,
			want: `resources[0].resources: Invalid value: ["secrets","secrets"]: the same resource cannot be specified multiple times`},
		{name: "duplicate wildcard is also an overlap", yaml: header + `resources:
- resources: ['*.apps', '*.apps']
  providers: [{identity: {}}]`,
			want: `[resources[0].resources: Invalid value: ["*.apps","*.apps"]: the same resource cannot be specified multiple times, resources[0].resources: Invalid value: ["*.apps","*.apps"]: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked]`},
		{name: "resource names", yaml: header + `resources:
- resources: [Secrets, serviceipallocations, events.events.k8s.io, deployments.extensions, 'secrets.*']
  providers: [{identity: {}}]
- resources: ['*']
  providers: [{identity: {}}]`,
			want: `[resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters, ` +
				`resources[0].resources[1]: Invalid value: "serviceipallocations": resources which do not have REST API/s cannot be encrypted, ` +
				`resources[0].resources[2]: Invalid value: "events.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file, ` +
				`resources[0].resources[3]: Invalid value: "deployments.extensions": 'extensions' group has been removed and cannot be used for encryption, ` +
				`resources[0].resources[4]: Invalid value: "secrets.*": encrypting the same resource across groups is not supported, ` +
				`resources[1].resources[0]: Invalid value: "*": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources]`},
		{name: "kms v2 fields", yaml: header + `resources:
- resources: [secrets]
  providers:
  - kms: {apiVersion: v2, name: "a:b", endpoint: "tcp://localhost:1", timeout: -1s, cachesize: 10}
  - kms: {apiVersion: v3, name: "", endpoint: ""}`,
			want: `[resources[0].providers[0].kms.name: Invalid value: "a:b": invalid KMS provider name a:b, must not contain ':', ` +
				`resources[0].providers[0].kms.timeout: Invalid value: "-1s": timeout should be a positive value, ` +
				`resources[0].providers[0].kms.endpoint: Invalid value: "tcp://localhost:1": unsupported scheme "tcp" for KMS provider, only unix is supported, ` +
				`resources[0].providers[0].kms.cachesize: Invalid value: 10: cachesize is not supported in v2, ` +
				`resources[0].providers[1].kms.name: Required value: name is a mandatory field for a provider, ` +
				`resources[0].providers[1].kms.endpoint: Invalid value: "": endpoint is a mandatory field for a kms, ` +
				`resources[0].providers[1].kms.apiVersion: Invalid value: "v3": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported]`},
		{name: "duplicate kms v2 names across entries", yaml: header + `resources:
- resources: [secrets]
  providers: [{kms: {apiVersion: v2, name: k, endpoint: "unix:///a"}}]
- resources: [configmaps]
  providers: [{kms: {apiVersion: v2, name: k, endpoint: "unix:///b"}}]`,
			want: `resources[1].providers[0].kms.name: Invalid value: "k": duplicate KMS provider name k, names must be unique`},
		{name: "duplicate kms v1 names only matter on reload", reload: true, yaml: header + `resources:
- resources: [secrets]
  providers: [{kms: {name: k, endpoint: "unix:///a"}}, {kms: {name: k, endpoint: "unix:///b"}}]`,
			want: `resources[0].providers[1].kms.name: Invalid value: "k": duplicate KMS provider name k, names must be unique`},
		{name: "kms v1 cachesize zero", yaml: header + `resources:
- resources: [secrets]
  providers: [{kms: {apiVersion: v1, name: k, endpoint: "unix:///a", cachesize: 0}}]`,
			want: `resources[0].providers[0].kms.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable`},
		{name: "unknown field", yaml: header + `resources:
- resources: [secrets]
  providers: [{identity: {}}]
  extra: true`,
			want: `strict decoding error: unknown field "resources[0].extra"`},
		{name: "duplicate field", yaml: header + "resources: []\nresources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n",
			want: `strict decoding error: yaml: unmarshal errors:`},
		{name: "wrong kind", yaml: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nresources: []",
			want: `no kind "AdmissionConfiguration" is registered for version "apiserver.config.k8s.io/v1"`},
		{name: "old version", yaml: "apiVersion: apiserver.config.k8s.io/v1alpha1\nkind: EncryptionConfiguration\nresources: []",
			want: `no kind "EncryptionConfiguration" is registered for version "apiserver.config.k8s.io/v1alpha1"`},
		{name: "no kind", yaml: "resources: []", want: "Object 'Kind' is missing in the configuration"},
		{name: "not yaml", yaml: "\t- [", want: "yaml: found character that cannot start any token"},
		{name: "decoder message quoting a secret is scrubbed", yaml: "{[{" + key32 + "}]}", want: "yaml: invalid map key: []interface {}{map[interface {}]interface {}{\"REDACTED\":interface {}(nil)}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := encryptionconfig.Parse([]byte(tc.yaml), tc.reload)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid configuration refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want && !strings.HasPrefix(got, tc.want) {
				t.Fatalf("error\n got: %s\nwant: %s", got, tc.want)
			}
			if strings.Contains(err.Error(), key32) || strings.Contains(err.Error(), key16) {
				t.Fatal("error shows a secret")
			}
		})
	}
}

// FuzzParse: any file content is accepted or refused, never a panic, and errors
// never quote a secret given in the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: " + key32 + "}]}}]"))
	f.Add([]byte(header + "resources:\n- resources: ['*.*']\n  providers: [{kms: {apiVersion: v2, name: k, endpoint: 'unix:///x'}}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := encryptionconfig.Parse(data, false)
		if err == nil && len(cfg.Resources) == 0 {
			t.Fatal("accepted a configuration without resources")
		}
		if err != nil && strings.Contains(err.Error(), key32) {
			t.Fatal("error shows a secret")
		}
	})
}
