package celrules

import "testing"

func TestValidFieldPath(t *testing.T) {
	n := newNode(mustSchema(t, `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string"}}},"m":{"type":"object","additionalProperties":{"type":"object","properties":{"c":{"type":"string"}}}},"x.y":{"type":"string"}}}`))
	tests := []struct {
		name, path, want, err string
	}{
		{name: "child", path: ".a.b", want: "a.b"},
		{name: "quoted child", path: "['x.y']", want: "x.y"},
		{name: "map key", path: ".m['k'].c", want: "m[k].c"},
		{name: "map key by dot", path: ".m.k", want: "m[k]"},
		{name: "escaped quote", path: ".m['k\\'s']", want: "m[k's]"},
		{name: "missing field", path: ".z", err: "does not refer to a valid field"},
		{name: "below a scalar", path: ".a.b.c", err: "does not refer to a valid field"},
		{name: "no leading dot", path: "a", err: "expected [ or . but got: a"},
		{name: "unterminated", path: ".a.", err: "unexpected end of JSON path"},
		{name: "unquoted key", path: ".m[k]", err: "expected single quoted string but got k"},
		{name: "missing bracket", path: ".m['k'", err: "unexpected end of JSON path"},
		{name: "bad escape", path: ".m['\\q']", err: "invalid string literal: invalid escape char \\q"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := validFieldPath(tc.path, n)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || p.String() != tc.want {
				t.Fatalf("got %v, %v; want %q", p, err, tc.want)
			}
		})
	}
}

func TestEscapeName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{in: "plain", want: "plain", ok: true},
		{in: "foo-bar", want: "foo__dash__bar", ok: true},
		{in: "a.b/c", want: "a__dot__b__slash__c", ok: true},
		{in: "a__b", want: "a__underscores__b", ok: true},
		{in: "namespace", want: "__namespace__", ok: true},
		{in: "1abc"},
		{in: ""},
		{in: "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := escapeName(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("escapeName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
