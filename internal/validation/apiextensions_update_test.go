package validation

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// established marks the CRD as served, which freezes scope and kind.
func established(c *apiextensionsv1.CustomResourceDefinition) {
	c.Status.Conditions = append(c.Status.Conditions, apiextensionsv1.CustomResourceDefinitionCondition{
		Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue,
	})
}

type crdUpdateCase struct {
	name string
	// old changes the stored object; update changes the copy sent by the client.
	old, update func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition)
	want        []string
}

func TestValidateCustomResourceDefinitionUpdate(t *testing.T) {
	nonStructural := `{type: object, properties: {spec: {properties: {a: {type: string}}}}}`
	cases := []crdUpdateCase{
		{name: "labels may change", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
		{name: "group is immutable", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Group = "other.com" },
			want: []string{`spec.group: Invalid value: "other.com": field is immutable`}},
		{name: "plural is immutable", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Names.Plural = "foxes" },
			want: []string{`spec.names.plural: Invalid value: "foxes": field is immutable`}},
		{name: "scope and kind may change before established", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Scope, c.Spec.Names.Kind = apiextensionsv1.ClusterScoped, "Fox"
		}},
		{name: "scope and kind are immutable once established", old: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { established(c) },
			update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
				c.Spec.Scope, c.Spec.Names.Kind = apiextensionsv1.ClusterScoped, "Fox"
			}, want: []string{
				`spec.scope: Invalid value: "Cluster": field is immutable`,
				`spec.names.kind: Invalid value: "Fox": field is immutable`,
			}},
		{name: "stored version may not leave spec.versions", update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Name = "v2"
			c.Status.StoredVersions = []string{"v1", "v2"} // as PrepareForUpdate leaves it
		}, want: []string{`status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions`}},
		{name: "a new invalid schema is rejected", update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, nonStructural)
		}, want: []string{`spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`}},
		{name: "pruning requires a structural schema even if it was not", old: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, nonStructural)
		}, update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		},
			want: []string{`spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields`}},
		{name: "an old non-structural schema without pruning may stay", old: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.PreserveUnknownFields = true
			c.Spec.Versions[0].Schema = testSchema(t, nonStructural)
		}, update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
		{name: "invalid property types ratchet", old: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, `{type: object, properties: {a: {type: strin}}}`)
		}, update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
		{name: "invalid property types are rejected when new", update: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, `{type: object, properties: {a: {type: strin}}}`)
		}, want: []string{`spec.validation.openAPIV3Schema.properties[a].type: Unsupported value: "strin": supported values: "array", "boolean", "integer", "number", "object", "string"`}},
		{name: "missing schemas ratchet with preserveUnknownFields", old: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.PreserveUnknownFields, c.Spec.Versions[0].Schema = true, nil
		}, update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
		{name: "preserveUnknownFields may not be turned on", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.PreserveUnknownFields = true },
			want: []string{`spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead`}},
		{name: "unrecognized review versions ratchet", old: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{
				ClientConfig:             &apiextensionsv1.WebhookClientConfig{URL: ptr("https://conv.example.com")},
				ConversionReviewVersions: []string{"v9"},
			}}
		}, update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
		{name: "bad CA bundle rejected once established", old: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			established(c)
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{
				ClientConfig:             &apiextensionsv1.WebhookClientConfig{URL: ptr("https://conv.example.com")},
				ConversionReviewVersions: []string{"v1"},
			}}
		}, update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Conversion.Webhook.ClientConfig.CABundle = []byte("not a pem")
		}, want: []string{`spec.conversion.webhookClientConfig.caBundle: Invalid value: unable to load root certificates: unable to parse bytes as PEM block`}},
		{name: "too many selectable fields may stay", old: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, `{type: object, properties: {spec: {type: object, additionalProperties: {type: string}}}}`)
			for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
				c.Spec.Versions[0].SelectableFields = append(c.Spec.Versions[0].SelectableFields, apiextensionsv1.SelectableField{JSONPath: ".spec." + k})
			}
		}, update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Labels = map[string]string{"a": "b"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validCRD(t)
			if tc.old != nil {
				tc.old(t, old)
			}
			c := old.DeepCopy()
			c.ResourceVersion = "2"
			if tc.update != nil {
				tc.update(t, c)
			}
			wantCRDErrs(t, ValidateCustomResourceDefinitionUpdate(c, old), tc.want)
		})
	}
}

func TestValidateCustomResourceDefinitionStatus(t *testing.T) {
	cases := []crdUpdateCase{
		{name: "accepted names", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Status.AcceptedNames = c.Spec.Names
			established(c)
		}},
		{name: "bad accepted names", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Status.AcceptedNames = apiextensionsv1.CustomResourceDefinitionNames{Plural: "Foos", Kind: "Foo", ListKind: "Foo"}
		}, want: []string{
			`status.acceptedNames.plural: Invalid value: "Foos": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`status.acceptedNames.listKind: Invalid value: "Foo": kind and listKind may not be the same`,
		}},
		{name: "metadata name is immutable", update: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Name = "bars.example.com" },
			want: []string{`metadata.name: Invalid value: "bars.example.com": field is immutable`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validCRD(t)
			c := old.DeepCopy()
			tc.update(t, c)
			wantCRDErrs(t, ValidateCustomResourceDefinitionStatus(c, old), tc.want)
		})
	}
}

func TestValidateCustomResourceDefinitionWrongType(t *testing.T) {
	wantCRDErrs(t, ValidateCustomResourceDefinition(&apiextensionsv1.CustomResourceDefinitionList{}), []string{
		`<nil>: Internal error: expected *v1.CustomResourceDefinition, got *v1.CustomResourceDefinitionList`,
	})
}
