package validation

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// crdErrStrings renders causes as upstream does; a cause whose value is not a
// plain scalar is rendered without its value ("path: Type: detail"), since
// upstream prints internal Go structs there.
func crdErrStrings(errs field.ErrorList) []string {
	out := []string{}
	for _, e := range errs {
		v := reflect.ValueOf(e.BadValue)
		for v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.Invalid, reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
			out = append(out, e.Error())
		default:
			out = append(out, fmt.Sprintf("%s: %s: %s", e.Field, e.Type, e.Detail))
		}
	}
	return out
}

// wantCRDErrs compares causes in order; a wanted string ending in "*" only
// needs to prefix the cause (for messages another package owns).
func wantCRDErrs(t *testing.T, got field.ErrorList, want []string) {
	t.Helper()
	g := crdErrStrings(got)
	ok := len(g) == len(want)
	for i := 0; ok && i < len(g); i++ {
		if prefix, found := strings.CutSuffix(want[i], "*"); found {
			ok = strings.HasPrefix(g[i], prefix)
		} else {
			ok = g[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("errors:\n got %q\nwant %q", g, want)
	}
}

// testSchema parses a YAML openAPIV3Schema.
func testSchema(t *testing.T, y string) *apiextensionsv1.CustomResourceValidation {
	t.Helper()
	s := &apiextensionsv1.JSONSchemaProps{}
	if err := yaml.Unmarshal([]byte(y), s); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: s}
}

const fooSchema = `
type: object
properties:
  spec:
    type: object
    properties:
      replicas: {type: integer}
      color: {type: string}
      enabled: {type: boolean}
      nested: {type: object, properties: {a: {type: string}}}
      labels: {type: object, additionalProperties: {type: string}}
  status:
    type: object
    properties:
      replicas: {type: integer}
      selector: {type: string}
`

// validCRD is a defaulted, prepared CRD that passes validation.
func validCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "foos.example.com", ResourceVersion: "1"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "foos", Singular: "foo", Kind: "Foo", ListKind: "FooList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true, Schema: testSchema(t, fooSchema),
			}},
			Conversion: &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter},
		},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{StoredVersions: []string{"v1"}},
	}
}

// twoVersions gives the CRD a second, different version so that per-version
// errors keep their spec.versions[i] paths.
func twoVersions(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
	c.Spec.Versions = append(c.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
		Name: "v2", Served: true, Schema: testSchema(t, `{type: object, x-kubernetes-preserve-unknown-fields: true}`),
	})
}

type crdCase struct {
	name   string
	mutate func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition)
	want   []string
}

func TestValidateCustomResourceDefinitionMeta(t *testing.T) {
	runCreateCases(t, []crdCase{
		{name: "valid"},
		{name: "name must be plural.group", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Name = "bars.example.com" },
			want: []string{`metadata.name: Invalid value: "bars.example.com": must be spec.names.plural+"."+spec.group`}},
		{name: "group without dot", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "example", "foos.example"
		}, want: []string{`spec.group: Invalid value: "example": should be a domain with at least one dot`}},
		{name: "group missing", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "", "foos."
		}, want: []string{
			`metadata.name: Invalid value: "foos.": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`spec.group: Required value`,
		}},
		{name: "protected group needs approval", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "foo.k8s.io", "foos.foo.k8s.io"
		}, want: []string{`metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111`}},
		{name: "protected group with invalid approval", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "foo.k8s.io", "foos.foo.k8s.io"
			c.Annotations = map[string]string{"api-approved.kubernetes.io": "yes"}
		}, want: []string{`metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`}},
		{name: "protected group bypassed", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Group, c.Name = "foo.k8s.io", "foos.foo.k8s.io"
			c.Annotations = map[string]string{"api-approved.kubernetes.io": "unapproved, testing"}
		}},
		{name: "scope missing", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Scope = "" },
			want: []string{`spec.scope: Required value`}},
		{name: "scope unknown", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Scope = "Global" },
			want: []string{`spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"`}},
		{name: "preserveUnknownFields true", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.PreserveUnknownFields = true },
			want: []string{`spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead`}},
	})
}

func TestValidateCustomResourceDefinitionNames(t *testing.T) {
	runCreateCases(t, []crdCase{
		{name: "all names missing", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{}
			c.Name = ".example.com"
		}, want: []string{
			`metadata.name: Invalid value: ".example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`spec.names.plural: Required value`, `spec.names.singular: Required value`,
			`spec.names.kind: Required value`, `spec.names.listKind: Required value`,
		}},
		{name: "upper-case plural and singular", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Names.Plural, c.Spec.Names.Singular, c.Name = "Foos", "Foo", "Foos.example.com"
		}, want: []string{
			`metadata.name: Invalid value: "Foos.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`spec.names.plural: Invalid value: "Foos": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`spec.names.singular: Invalid value: "Foo": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{name: "kind with dot", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Names.Kind = "Foo.Bar" },
			want: []string{`spec.names.kind: Invalid value: "Foo.Bar": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`}},
		{name: "kind equals listKind", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Names.ListKind = "Foo" },
			want: []string{`spec.names.listKind: Invalid value: "Foo": kind and listKind may not be the same`}},
		{name: "bad short name and category", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Names.ShortNames = []string{"fo", "F_O"}
			c.Spec.Names.Categories = []string{"all", "a.b"}
		}, want: []string{
			`spec.names.shortNames[1]: Invalid value: "F_O": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`spec.names.categories[1]: Invalid value: "a.b": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
	})
}

func TestValidateCustomResourceDefinitionVersions(t *testing.T) {
	runCreateCases(t, []crdCase{
		{name: "no storage version", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Storage = false
			c.Status.StoredVersions = nil
		}, want: []string{
			`spec.versions: Invalid value: must have exactly one version marked as storage version`,
			`status.storedVersions: Invalid value: must have at least one stored version`,
		}},
		{name: "two storage versions", mutate: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			c.Spec.Versions[1].Storage = true
			c.Status.StoredVersions = []string{"v1", "v2"}
		}, want: []string{`spec.versions: Invalid value: must have exactly one version marked as storage version`}},
		{name: "duplicate names", mutate: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			c.Spec.Versions[1].Name = "v1"
		}, want: []string{`spec.versions: Invalid value: must contain unique version names`}},
		{name: "version name not a DNS-1035 label", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Name = "1.0"
			c.Status.StoredVersions = []string{"1.0"}
		}, want: []string{
			`spec.versions[0].name: Invalid value: "1.0": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			`spec.version: Invalid value: "1.0": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{name: "schema required", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) { c.Spec.Versions[0].Schema = nil },
			want: []string{`spec.versions[0].schema.openAPIV3Schema: Required value`}},
		{name: "schema required for each version", mutate: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			c.Spec.Versions[1].Schema = nil
		}, want: []string{`spec.versions[1].schema.openAPIV3Schema: Required value`}},
		{name: "deprecation warning without deprecated", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].DeprecationWarning = ptr("old")
		}, want: []string{`spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions`}},
		{name: "deprecation warning with control character", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Deprecated, c.Spec.Versions[0].DeprecationWarning = true, ptr("a\tb")
		}, want: []string{`spec.versions[0].deprecationWarning: Invalid value: "a\tb": must only contain printable UTF-8 characters; non-printable character found at index 1`}},
		{name: "storage version missing from storedVersions", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Status.StoredVersions = []string{"v0"}
		}, want: []string{
			`status.storedVersions: Invalid value: must have the storage version v1`,
			`status.storedVersions[0]: Invalid value: "v0": missing from spec.versions; v0 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v0 and removes v0 from status.storedVersions`,
		}},
	})
}

func TestValidateCustomResourceDefinitionSubresourcesAndColumns(t *testing.T) {
	scale := func(spec, status string, selector *string) func(*testing.T, *apiextensionsv1.CustomResourceDefinition) {
		return func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Subresources = &apiextensionsv1.CustomResourceSubresources{Scale: &apiextensionsv1.CustomResourceSubresourceScale{
				SpecReplicasPath: spec, StatusReplicasPath: status, LabelSelectorPath: selector,
			}}
		}
	}
	column := func(col apiextensionsv1.CustomResourceColumnDefinition) func(*testing.T, *apiextensionsv1.CustomResourceDefinition) {
		return func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			c.Spec.Versions[1].AdditionalPrinterColumns = []apiextensionsv1.CustomResourceColumnDefinition{col}
		}
	}
	runCreateCases(t, []crdCase{
		{name: "valid scale", mutate: scale(".spec.replicas", ".status.replicas", ptr(".status.selector"))},
		{name: "scale paths missing", mutate: scale("", "", nil), want: []string{
			`spec.subresources.scale.specReplicasPath: Required value`,
			`spec.subresources.scale.statusReplicasPath: Required value`,
		}},
		{name: "scale paths not json paths", mutate: scale("spec.replicas", ".spec.replicas", ptr(".metadata.labels")), want: []string{
			`spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .`,
			`spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status`,
			`spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status`,
		}},
		{name: "status subresource restricts root fields", mutate: func(_ *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Subresources = &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}
			c.Spec.Versions[0].Schema.OpenAPIV3Schema.MaxProperties = ptr(int64(3))
		}, want: []string{`spec.validation.openAPIV3Schema: Invalid value: only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled`}},
		{name: "column valid", mutate: column(apiextensionsv1.CustomResourceColumnDefinition{Name: "Replicas", Type: "integer", Format: "int32", JSONPath: ".spec.replicas"})},
		{name: "column missing everything", mutate: column(apiextensionsv1.CustomResourceColumnDefinition{}), want: []string{
			`spec.versions[1].additionalPrinterColumns[0].name: Required value`,
			`spec.versions[1].additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string`,
			`spec.versions[1].additionalPrinterColumns[0].JSONPath: Required value`,
		}},
		{name: "column bad type, format and path", mutate: column(apiextensionsv1.CustomResourceColumnDefinition{Name: "X", Type: "float", Format: "uuid", JSONPath: "spec"}), want: []string{
			`spec.versions[1].additionalPrinterColumns[0].type: Invalid value: "float": must be one of boolean,date,integer,number,string`,
			`spec.versions[1].additionalPrinterColumns[0].format: Invalid value: "uuid": must be one of byte,date,date-time,double,float,int32,int64,password`,
			`spec.versions[1].additionalPrinterColumns[0].JSONPath: Invalid value: "spec": must be a simple json path starting with .`,
		}},
	})
}

func TestValidateCustomResourceDefinitionSelectableFields(t *testing.T) {
	fields := func(paths ...string) func(*testing.T, *apiextensionsv1.CustomResourceDefinition) {
		return func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			for _, p := range paths {
				c.Spec.Versions[0].SelectableFields = append(c.Spec.Versions[0].SelectableFields, apiextensionsv1.SelectableField{JSONPath: p})
			}
		}
	}
	sf := "spec.versions[0].selectableFields"
	runCreateCases(t, []crdCase{
		{name: "valid", mutate: fields(".spec.replicas", ".spec.color", ".spec.enabled", ".spec.labels.app", ".spec.nested.a")},
		{name: "bad paths", mutate: fields("", ".spec.missing", ".spec", "spec.color", ".spec[0]", ".spec.color", ".spec.color"), want: []string{
			sf + `[0].jsonPath: Required value`,
			sf + `[1].jsonPath: Invalid value: ".spec.missing": is an invalid path: does not refer to a valid field`,
			sf + `[2].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.`,
			sf + `[3].jsonPath: Invalid value: "spec.color": is an invalid path: expected [ or . but got: spec`,
			sf + `[4].jsonPath: Invalid value: ".spec[0]": is an invalid path: array notation is not allowed`,
			sf + `[6].jsonPath: Duplicate value: ".spec.color"`,
		}},
		{name: "too many", mutate: fields(".spec.replicas", ".spec.color", ".spec.enabled", ".spec.nested.a",
			".spec.labels.a", ".spec.labels.b", ".spec.labels.c", ".spec.labels.d", ".spec.labels.e"),
			want: []string{sf + `: Too many: 9: must have at most 8 items`}},
		{name: "schema needed", mutate: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			fields(".spec.color")(t, c)
			c.Spec.Versions[0].Schema = nil
		}, want: []string{
			`spec.versions[0].schema.openAPIV3Schema: Required value`,
			sf + ": Invalid value: \"\": may only be set when `version.schema.openAPIV3Schema` is not included",
		}},
	})
}

func TestValidateCustomResourceDefinitionConversion(t *testing.T) {
	conv := func(c *apiextensionsv1.CustomResourceConversion) func(*testing.T, *apiextensionsv1.CustomResourceDefinition) {
		return func(_ *testing.T, crd *apiextensionsv1.CustomResourceDefinition) { crd.Spec.Conversion = c }
	}
	webhook := func(cc *apiextensionsv1.WebhookClientConfig, versions ...string) *apiextensionsv1.CustomResourceConversion {
		return &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter,
			Webhook: &apiextensionsv1.WebhookConversion{ClientConfig: cc, ConversionReviewVersions: versions}}
	}
	svc := func(path string, port int32) *apiextensionsv1.WebhookClientConfig {
		return &apiextensionsv1.WebhookClientConfig{Service: &apiextensionsv1.ServiceReference{Namespace: "ns", Name: "conv", Path: &path, Port: &port}}
	}
	cp := "spec.conversion.webhookClientConfig"
	runCreateCases(t, []crdCase{
		{name: "valid url", mutate: conv(webhook(&apiextensionsv1.WebhookClientConfig{URL: ptr("https://conv.example.com/convert")}, "v1"))},
		{name: "valid service", mutate: conv(webhook(svc("/convert", 443), "v1beta1", "v1"))},
		{name: "strategy unknown", mutate: conv(&apiextensionsv1.CustomResourceConversion{Strategy: "Magic"}),
			want: []string{`spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"`}},
		{name: "webhook without config", mutate: conv(&apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter}), want: []string{
			cp + `: Required value: required when strategy is set to Webhook`,
			`spec.conversion.conversionReviewVersions: Required value`,
		}},
		{name: "neither url nor service", mutate: conv(webhook(&apiextensionsv1.WebhookClientConfig{}, "v1")),
			want: []string{cp + `: Required value: exactly one of url or service is required`}},
		{name: "bad url", mutate: conv(webhook(&apiextensionsv1.WebhookClientConfig{URL: ptr("http://user@host/p?q=1#frag")}, "v1")), want: []string{
			cp + `.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
			cp + `.url: Invalid value: "user": user information is not permitted in the URL`,
			cp + `.url: Invalid value: "frag": fragments are not permitted in the URL`,
			cp + `.url: Invalid value: "q=1": query parameters are not permitted in the URL`,
		}},
		{name: "bad service", mutate: conv(webhook(svc("convert/x_y", 0), "v1")), want: []string{
			cp + `.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive`,
			cp + `.service.path: Invalid value: "convert/x_y": must start with a '/'`,
			cp + `.service.path: Invalid value: "convert/x_y": segment[1]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		}},
		{name: "review versions unknown and duplicated", mutate: conv(webhook(svc("/", 443), "v2", "v2")), want: []string{
			`spec.conversion.conversionReviewVersions[1]: Invalid value: "v2": duplicate version`,
			`spec.conversion.conversionReviewVersions: Invalid value: must include at least one of v1, v1beta1`,
		}},
		{name: "none with webhook fields", mutate: conv(&apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter,
			Webhook: &apiextensionsv1.WebhookConversion{ClientConfig: svc("/", 443), ConversionReviewVersions: []string{"v1"}}}), want: []string{
			cp + `: Forbidden: should not be set when strategy is not set to Webhook`,
			`spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook`,
		}},
	})
}

func TestValidateCustomResourceDefinitionSchema(t *testing.T) {
	withSchema := func(y string) func(*testing.T, *apiextensionsv1.CustomResourceDefinition) {
		return func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			c.Spec.Versions[0].Schema = testSchema(t, y)
		}
	}
	const root = "spec.validation.openAPIV3Schema"
	runCreateCases(t, []crdCase{
		{name: "per-version paths with differing schemas", mutate: func(t *testing.T, c *apiextensionsv1.CustomResourceDefinition) {
			twoVersions(t, c)
			c.Spec.Versions[1].Schema = testSchema(t, `{type: object, properties: {a: {type: array, uniqueItems: true, items: {type: string}}}}`)
		}, want: []string{`spec.versions[1].schema.openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`}},
		{name: "nullable root", mutate: withSchema(`{type: object, nullable: true}`),
			want: []string{root + `.nullable: Forbidden: nullable cannot be true at the root`}},
		{name: "unsupported keywords", mutate: withSchema(`
type: object
properties:
  a: {type: object, properties: {b: {type: string}}, additionalProperties: {type: string}}
  c: {type: "null"}
  d: {type: string, x-kubernetes-preserve-unknown-fields: false}
  e: {$ref: "#/definitions/x"}
`), want: []string{
			root + `.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
			root + `.properties[c].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`,
			root + `.properties[c].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
			root + `.properties[d].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
			root + `.properties[e].$ref: Forbidden: $ref is not supported`,
		}},
		{name: "list-type map needs keys", mutate: withSchema(`
type: object
properties:
  a: {type: array, x-kubernetes-list-type: map, items: {type: object, properties: {k: {type: string}}}}
  b: {type: string, x-kubernetes-list-type: set}
  c: {type: array, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [k], items: {type: object, properties: {k: {type: string, nullable: true}}}}
`), want: []string{
			root + `.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
			root + `.properties[b].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified`,
			root + `.properties[c].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
			root + `.properties[c].items.properties[k].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable`,
		}},
		{name: "defaults forbidden in top-level metadata", mutate: withSchema(`
type: object
properties:
  metadata: {type: object, default: {}}
`), want: []string{root + `.properties[metadata].default: Forbidden: must not be set in top-level metadata`}},
		{name: "structural: missing type", mutate: withSchema(`{type: object, properties: {spec: {properties: {a: {type: string}}}}}`),
			want: []string{root + `.properties[spec].type: Required value: must not be empty for specified object fields`}},
		{name: "default must validate", mutate: withSchema(`{type: object, properties: {a: {type: integer, default: "x"}}}`),
			want: []string{root + `.properties[a].default: Invalid value: "string": *`}},
		{name: "rule without expression", mutate: withSchema(`{type: object, x-kubernetes-validations: [{rule: " "}]}`),
			want: []string{root + `.x-kubernetes-validations[0].rule: Required value: rule is not specified`}},
		{name: "rule that does not compile", mutate: withSchema(`{type: object, properties: {a: {type: string}}, x-kubernetes-validations: [{rule: "self.b == 1"}]}`),
			want: []string{root + `.x-kubernetes-validations[0].rule: Invalid value: compilation failed: ERROR: <input>:1:5: undefined field 'b'
 | self.b == 1
 | ....^`}},
		{name: "rule static errors on a non-structural schema", mutate: withSchema(`{type: object, properties: {a: {}}, x-kubernetes-validations: [{rule: "true", reason: Bad}]}`), want: []string{
			root + `.properties[a].type: Required value: must not be empty for specified object fields`,
			root + `.x-kubernetes-validations[0].reason: Unsupported value: "Bad": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
		}},
	})
}

func runCreateCases(t *testing.T, cases []crdCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCRD(t)
			if tc.mutate != nil {
				tc.mutate(t, c)
			}
			wantCRDErrs(t, ValidateCustomResourceDefinition(c), tc.want)
		})
	}
}
