package celenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
)

func TestCompileAndEval(t *testing.T) {
	act := &Activation{
		Object:  map[string]any{"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web"}}, "spec": map[string]any{"replicas": int64(3)}},
		Request: map[string]any{"operation": "CREATE", "userInfo": map[string]any{"username": "alice"}},
		Authorizer: func(c AuthzCheck) (string, string, error) {
			if c.Verb == "list" && c.Resource == "pods" && c.Namespace == "ns" {
				return "allow", "", nil
			}
			return "deny", "nope", nil
		},
		Variables: map[string]any{"limit": int64(5)},
	}
	cases := []struct {
		name    string
		expr    string
		want    bool
		compile bool // want a compile error
		runtime bool // want an evaluation error
	}{
		{name: "field access", expr: "object.metadata.name == 'web'", want: true},
		{name: "numbers compare across types", expr: "object.spec.replicas < 3.5", want: true},
		{name: "variables", expr: "object.spec.replicas <= variables.limit", want: true},
		{name: "null old object", expr: "oldObject == null", want: true},
		{name: "request", expr: "request.userInfo.username == 'alice' && request.operation == 'CREATE'", want: true},
		{name: "has on labels", expr: "has(object.metadata.labels.app)", want: true},
		{name: "optional field", expr: "object.?spec.?paused.orValue(false) == false", want: true},
		{name: "strings extension", expr: "object.metadata.name.upperAscii() == 'WEB'", want: true},
		{name: "regex matches", expr: "object.metadata.name.matches('^w.b$')", want: true},
		{name: "lists extension", expr: "[3, 1, 2].sort() == [1, 2, 3]", want: true},
		{name: "network extension", expr: "cidr('10.0.0.0/8').containsIP('10.1.1.1')", want: true},
		{name: "authorizer allowed", expr: "authorizer.group('').resource('pods').namespace('ns').check('list').allowed()", want: true},
		{name: "authorizer denied with reason", expr: "authorizer.group('apps').resource('deployments').check('delete').reason() == 'nope'", want: true},
		{name: "authorizer path", expr: "authorizer.path('/healthz').check('get').denied()", want: true},
		{name: "quantity", expr: "quantity('1Gi').isGreaterThan(quantity('512Mi')) && quantity('1').add(quantity('500m')).asApproximateFloat() == 1.5 && isQuantity('10m') && !isQuantity('ten')", want: true},
		{name: "url", expr: "url('https://example.com:8443/a%20b?x=1').getHostname() == 'example.com' && url('https://example.com:8443/').getPort() == '8443' && !isURL('not a url')", want: true},
		{name: "list sum min max", expr: "[1, 2, 3].sum() == 6 && [3, 1, 2].min() == 1 && [3, 1, 2].max() == 3", want: true},
		{name: "list isSorted indexOf", expr: "[1, 2, 2].isSorted() && ![2, 1].isSorted() && [1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2 && ['a'].indexOf('b') == -1", want: true},
		{name: "string indexOf still works", expr: "'hello'.indexOf('l') == 2", want: true},
		{name: "format named", expr: "format.named('dns1123Label').value().validate('Bad_Name').hasValue() && !format.named('nope').hasValue()", want: true},
		{name: "format validate ok", expr: "!format.dns1123Subdomain().validate('apps.example.com').hasValue() && !format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", want: true},
		{name: "format validate messages", expr: "format.labelValue().validate('a b').value()[0].contains('consist of alphanumeric characters')", want: true},
		{name: "semver compare", expr: "semver('1.2.3').isLessThan(semver('1.10.0')) && semver('1.0.0-alpha').isLessThan(semver('1.0.0')) && semver('1.0.0-alpha.1').compareTo(semver('1.0.0-alpha.beta')) == -1", want: true},
		{name: "semver parts and normalize", expr: "semver('v01.2', true).major() == 1 && semver('v01.2', true).minor() == 2 && semver('3.4.5+build.1').patch() == 5", want: true},
		{name: "isSemver", expr: "isSemver('1.2.3-rc.1') && !isSemver('1.2') && isSemver('v1.2', true) && !isSemver('01.2.3')", want: true},
		{name: "bad semver", expr: "semver('1.2').major() == 1", runtime: true},
		{name: "regex find", expr: "'abc 123'.find('[0-9]+') == '123' && 'abc'.find('[0-9]+') == '' && '1 a 2 b 3'.findAll('[0-9]') == ['1', '2', '3'] && '1 a 2 b 3'.findAll('[0-9]', 2) == ['1', '2']", want: true},
		{name: "bad regex", expr: "'a'.find('(') == ''", runtime: true},
		{name: "min of an empty list", expr: "[].min() == 1", runtime: true},
		{name: "bad quantity", expr: "quantity('ten').isInteger()", runtime: true},
		{name: "syntax error", expr: "object.metadata.name ==", compile: true},
		{name: "wrong result type", expr: "'a string'", compile: true},
		{name: "undeclared variable", expr: "nosuch == 1", compile: true},
		{name: "missing key", expr: "object.status.ready", runtime: true},
		{name: "cost limit", expr: "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, a+b+c+d+e+f >= 0))))))", runtime: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prg, err := Compile(tc.expr, cel.BoolType)
			if tc.compile {
				if !errors.Is(err, ErrCompile) {
					t.Fatalf("Compile error = %v, want ErrCompile", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := prg.EvalBool(act)
			if tc.runtime {
				if err == nil {
					t.Fatalf("got %v, want an evaluation error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("= %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// FuzzExpressions compiles and runs arbitrary expressions: policies come from
// users, and nothing they write may panic the server.
func FuzzExpressions(f *testing.F) {
	for _, s := range []string{"object.metadata.name == 'x'", "authorizer.group('').resource('a').check('get').allowed()",
		"[1,2].map(x, x * 2).size() > 1", "variables.a.b.c", "cidr('::1/128').ip()", "params.data.k.split(',').size() > 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		prg, err := Compile(expr, nil)
		if err != nil {
			return
		}
		act := &Activation{Object: map[string]any{"metadata": map[string]any{"name": "x"}}, Variables: map[string]any{}}
		_, err = prg.Eval(act)
		if err != nil && strings.Contains(err.Error(), "panic") {
			t.Fatalf("%q: %v", expr, err)
		}
	})
}

func TestMutationExpressions(t *testing.T) {
	act := &Activation{Object: map[string]any{"metadata": map[string]any{"name": "web"}}}
	cases := []struct {
		name, expr, want string
	}{
		{"json patch", `[JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("a/b"), value: object.metadata.name}]`,
			`[map[op:add path:/metadata/labels/a~1b value:web]]`},
		{"apply configuration", `Object{metadata: Object.metadata{labels: {"app": object.metadata.name}}}`,
			`map[metadata:map[labels:map[app:web]]]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prg, err := CompileMutation(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			out, err := prg.Eval(act)
			if err != nil {
				t.Fatal(err)
			}
			native, err := Native(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(native); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
