package endpoints

import (
	"bufio"
	"bytes"
	"math/rand"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/meta"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/internal/apis"
)

// splice encodes list the way respondListSpliced does. With itemKind set, the
// items are copies that carry it, as the watch cache's shared objects do.
func splice(t *testing.T, format string, ser runtime.Encoder, enc *listEncoder, list runtime.Object, itemKind schema.GroupVersionKind) []byte {
	t.Helper()
	items, err := meta.ExtractList(list)
	if err != nil {
		t.Fatal(err)
	}
	if !itemKind.Empty() {
		for i, item := range items {
			items[i] = item.DeepCopyObject()
			items[i].GetObjectKind().SetGroupVersionKind(itemKind)
		}
	}
	encoded, err := enc.items(format, items)
	if err != nil {
		t.Fatal(err)
	}
	spliced, err := spliceList(format, ser, list, encoded)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	bw := bufio.NewWriter(&got)
	spliced.writeTo(bw)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return got.Bytes()
}

// TestSplicedListsMatchSerializer fills every built-in list type with random items
// and checks that the spliced encoding, from fresh and from kept item encodings, is
// byte for byte the serializer's, in JSON and protobuf.
func TestSplicedListsMatchSerializer(t *testing.T) {
	scheme := apis.NewScheme()
	codecs := serializer.NewCodecFactory(scheme)
	fill := fuzzer.FuzzerFor(metafuzzer.Funcs, rand.NewSource(1), codecs).NilChance(0.2).NumElements(1, 3).MaxDepth(8)
	var kinds []schema.GroupVersionKind
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Version != runtime.APIVersionInternal && strings.HasSuffix(gvk.Kind, "List") && gvk.Kind != "List" && gvk.Group != "meta.k8s.io" {
			kinds = append(kinds, gvk)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })
	checked := 0
	for _, format := range []string{"json", "protobuf"} {
		mediaType := map[string]string{"json": runtime.ContentTypeJSON, "protobuf": runtime.ContentTypeProtobuf}[format]
		info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
		for _, gvk := range kinds {
			t.Run(format+"/"+gvk.String(), func(t *testing.T) {
				list, err := scheme.New(gvk)
				if err != nil {
					t.Skip(err)
				}
				if _, err := meta.GetItemsPtr(list); err != nil {
					t.Skip("not a list")
				}
				for round := range 3 {
					fill.Fill(list)
					list.GetObjectKind().SetGroupVersionKind(gvk)
					items, _ := meta.ExtractList(list)
					if len(items) == 0 {
						continue // empty lists take the ordinary path
					}
					for i, item := range items {
						item.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
						if acc, err := meta.Accessor(item); err == nil && round == 2 && i == 0 {
							// The same object again: its kept encoding is used.
							acc.SetUID("fixed")
						}
					}
					var want bytes.Buffer
					if err := info.Serializer.Encode(list, &want); err != nil {
						t.Skipf("the serializer refuses random %s: %v", gvk.Kind, err)
					}
					itemKind := gvk.GroupVersion().WithKind(strings.TrimSuffix(gvk.Kind, "List"))
					enc := &listEncoder{budget: new(atomic.Int64)}
					for pass, tc := range []struct {
						fresh bool
						kind  schema.GroupVersionKind
					}{
						{false, schema.GroupVersionKind{}}, // fresh encodings of items as etcd lists them
						{false, itemKind},                  // kept encodings, items as the cache shares them
						{true, itemKind},                   // fresh encodings of the cache's items
					} {
						if tc.fresh {
							enc = &listEncoder{budget: new(atomic.Int64)}
						}
						if got := splice(t, format, info.Serializer, enc, list, tc.kind); !bytes.Equal(got, want.Bytes()) {
							t.Fatalf("round %d pass %d: spliced %s differs from the serializer's:\n got %q\nwant %q", round, pass, format, trim(got), trim(want.Bytes()))
						}
					}
				}
				checked++
			})
		}
	}
	if checked < 100 {
		t.Fatalf("only %d list types checked", checked)
	}
}

func trim(b []byte) []byte {
	if len(b) > 400 {
		return b[:400]
	}
	return b
}

// TestListEncoderKeepsFreshEncodings checks that a changed object is encoded again,
// that the budget is respected and that sweeps drop what lists no longer return.
func TestListEncoderKeepsFreshEncodings(t *testing.T) {
	type obj = runtime.Object
	mk := func(uid, rv, data string) obj {
		u := &metav1.PartialObjectMetadata{}
		u.UID, u.ResourceVersion, u.Name = types.UID(uid), rv, data
		return u
	}
	tests := []struct {
		name   string
		budget int64
		lists  [][]obj
		want   string // in the encoding of the last list
		kept   int
	}{
		{"changed object re-encoded", 1 << 20, [][]obj{{mk("a", "1", "old")}, {mk("a", "2", "new")}}, `"name":"new","uid":"a","resourceVersion":"2"`, 1},
		{"over budget: encoded, not kept", 10, [][]obj{{mk("a", "1", "x")}}, `"name":"x","uid":"a","resourceVersion":"1"`, 0},
		{"no uid: not kept", 1 << 20, [][]obj{{mk("", "1", "x")}}, `"name":"x","resourceVersion":"1"`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var budget atomic.Int64
			budget.Store(listItemBudget - tc.budget)
			enc := &listEncoder{budget: &budget}
			var got [][]byte
			for _, l := range tc.lists {
				var err error
				if got, err = enc.items("json", l); err != nil {
					t.Fatal(err)
				}
			}
			if s := string(bytes.Join(got, []byte(","))); !strings.Contains(s, tc.want) {
				t.Errorf("encoded %s, want it to hold %s", s, tc.want)
			}
			if len(enc.entries) != tc.kept {
				t.Errorf("kept %d encodings, want %d", len(enc.entries), tc.kept)
			}
		})
	}
	t.Run("sweep", func(t *testing.T) {
		enc := &listEncoder{budget: new(atomic.Int64)}
		if _, err := enc.items("json", []obj{mk("gone", "1", "x")}); err != nil {
			t.Fatal(err)
		}
		for range 2 * listSweepEvery {
			if _, err := enc.items("json", []obj{mk("stays", "1", "y")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := enc.entries[itemKey{"gone", "json"}]; ok || len(enc.entries) != 1 {
			t.Errorf("after a sweep: %d entries, gone kept: %v", len(enc.entries), ok)
		}
		if enc.budget.Load() != int64(len(enc.entries[itemKey{"stays", "json"}].data)) {
			t.Errorf("budget in use %d does not match the kept encodings", enc.budget.Load())
		}
	})
}

// TestWithoutKind checks that an item's kind is dropped on a copy, never on the
// shared object itself.
func TestWithoutKind(t *testing.T) {
	kinded := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}}
	kinded.Name = "p"
	bare := &metav1.PartialObjectMetadata{}
	tests := []struct {
		name string
		in   runtime.Object
		same bool
	}{
		{"with kind: a copy", kinded, false},
		{"without kind: itself", bare, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := withoutKind(tc.in)
			if (got == tc.in) != tc.same {
				t.Fatalf("returned the object itself: %v, want %v", got == tc.in, tc.same)
			}
			if !got.GetObjectKind().GroupVersionKind().Empty() {
				t.Fatalf("kind %v left on the result", got.GetObjectKind().GroupVersionKind())
			}
			if got.(*metav1.PartialObjectMetadata).Name != tc.in.(*metav1.PartialObjectMetadata).Name {
				t.Fatal("the copy lost the object's fields")
			}
		})
	}
	if kinded.Kind != "Pod" || kinded.APIVersion != "v1" {
		t.Fatalf("the shared object was changed: %+v", kinded.TypeMeta)
	}
}
