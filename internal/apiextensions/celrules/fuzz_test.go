package celrules

import (
	"context"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// fuzzSchema mixes every value kind rules can see, with rules that read them.
const fuzzSchema = `{"type":"object","properties":{"spec":{"type":"object",
"x-kubernetes-validations":[
 {"rule":"self.replicas >= 0 && self.name.startsWith('a')","messageExpression":"'bad ' + self.name"},
 {"rule":"self.tags.all(t, t.size() < 5) && self.m.all(k, self.m[k] > 0)"},
 {"rule":"self.items.exists(i, i.k == 'x') || size(self.items) == 0","fieldPath":".items"},
 {"rule":"type(self.port) == int ? self.port > 0 : self.port.endsWith('%')"},
 {"rule":"self.d > duration('0s') && self.t > timestamp('2000-01-01T00:00:00Z')","reason":"FieldValueForbidden"},
 {"rule":"self == oldSelf","message":"immutable"}],
"properties":{
 "replicas":{"type":"integer","maxLength":5},
 "name":{"type":"string","maxLength":20},
 "ratio":{"type":"number"},
 "on":{"type":"boolean"},
 "port":{"x-kubernetes-int-or-string":true},
 "d":{"type":"string","format":"duration"},
 "t":{"type":"string","format":"date-time"},
 "b":{"type":"string","format":"byte"},
 "tags":{"type":"array","maxItems":10,"x-kubernetes-list-type":"set","items":{"type":"string","maxLength":10}},
 "m":{"type":"object","maxProperties":10,"additionalProperties":{"type":"integer","x-kubernetes-validations":[{"rule":"self < 100"}]}},
 "items":{"type":"array","maxItems":10,"x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],
  "items":{"type":"object","properties":{"k":{"type":"string","maxLength":10},"v":{"type":"integer","nullable":true}},
   "x-kubernetes-validations":[{"rule":"!has(self.v) || self.v >= oldSelf.v","message":"no decrease"}]}},
 "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}`

// FuzzValidate checks that arbitrary objects, of any shape, never make the rules
// panic.
func FuzzValidate(f *testing.F) {
	v := mustCompile(f, fuzzSchema)
	seeds := [][2]string{
		{`{"spec":{"replicas":1,"name":"ab","port":3,"d":"1s","t":"2020-01-01T00:00:00Z","tags":["a"],"m":{"a":1},"items":[{"k":"x","v":1}]}}`, ``},
		{`{"spec":{"replicas":"x","name":5,"port":1.5,"d":"nope","t":"","tags":{},"m":[],"items":[null,1,{"k":null}]}}`, `{"spec":{"items":[{"k":"x","v":9}]}}`},
		{`{"spec":null}`, `{"spec":{}}`},
		{`{"spec":{"b":"!!","free":{"a":[1,{"b":null}]},"items":[{"k":"x"},{"k":"x"}]}}`, `{"spec":{"items":[{"k":"x","v":2}]}}`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, objJSON, oldJSON string) {
		var obj, old map[string]any
		if utiljson.Unmarshal([]byte(objJSON), &obj) != nil {
			return
		}
		if oldJSON != "" && utiljson.Unmarshal([]byte(oldJSON), &old) != nil {
			return
		}
		_ = v.Validate(context.Background(), obj, old)
	})
}

// FuzzFieldPath checks that the fieldPath parser never panics.
func FuzzFieldPath(f *testing.F) {
	n := newNode(mustSchema(f, fuzzSchema)).props["spec"]
	for _, s := range []string{".name", ".m['a']", ".items", "['x\\'y']", ".", "[", "['", "a.b", ".m['a\\q']"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		_, _, _ = validFieldPath(p, n)
	})
}

func BenchmarkValidate(b *testing.B) {
	v := mustCompile(b, crSchema(`{"type":"object","properties":{
"replicas":{"type":"integer"},"name":{"type":"string","maxLength":63},
"tags":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10}},
"port":{"x-kubernetes-int-or-string":true}},
"x-kubernetes-validations":[
 {"rule":"self.replicas >= 0"},
 {"rule":"self.name.size() < 64"},
 {"rule":"self.tags.all(t, t != '')"},
 {"rule":"type(self.port) == int || self.port.endsWith('%')"},
 {"rule":"self.replicas <= 10 || self.name.startsWith('big')"}]}`))
	obj := mustObject(b, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},"spec":{"replicas":3,"name":"web","tags":["a","b","c"],"port":8080}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if errs := v.Validate(ctx, obj, nil); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
