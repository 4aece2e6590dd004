package defaults

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"
)

// defaultingCase is one object as a user would POST it (in) and as
// kube-apiserver v1.37 returns it after defaulting (want), both as YAML with
// apiVersion and kind. want leaves out what other stages add (uid,
// creationTimestamp, allocated IPs, admission-set priority, status.phase set by
// strategies), since this package does not set those.
type defaultingCase struct {
	name string
	in   string
	want string
}

func newTestScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, coordinationv1.AddToScheme, eventsv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	Register(s)
	return s
}

// runDefaultingCases decodes each case's input without defaulting, defaults it
// through the scheme, and compares the result with want as the user sees it
// (serialized), then checks that defaulting again changes nothing.
func runDefaultingCases(t *testing.T, cases []defaultingCase) {
	t.Helper()
	s := newTestScheme(t)
	decoder := serializer.NewCodecFactory(s).UniversalDeserializer()
	decode := func(t *testing.T, doc string) runtime.Object {
		t.Helper()
		obj, _, err := decoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, doc)
		}
		return obj
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := decode(t, tc.in)
			s.Default(obj)
			got, want := toYAML(t, obj), toYAML(t, decode(t, tc.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("defaulted object differs from kube-apiserver's (-want +got):\n%s", diff)
			}
			s.Default(obj)
			if again := toYAML(t, obj); again != got {
				t.Errorf("defaulting is not idempotent (-once +twice):\n%s", cmp.Diff(got, again))
			}
		})
	}
}

// toYAML renders obj the way clients read it: through its JSON form, with
// keys sorted, so that nil and empty values compare as the wire shows them.
func toYAML(t *testing.T, obj runtime.Object) string {
	t.Helper()
	j, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	return string(y)
}

func TestUndefaultedTypes(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "service account",
			in:   "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: default}\n",
			want: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: default}\n",
		},
		{
			name: "lease",
			in:   "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l, namespace: kube-system}\nspec: {holderIdentity: me}\n",
			want: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l, namespace: kube-system}\nspec: {holderIdentity: me}\n",
		},
		{
			name: "events.k8s.io event",
			in:   "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: e, namespace: default}\nreason: Started\nregarding: {kind: Pod, name: p}\n",
			want: "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: e, namespace: default}\nreason: Started\nregarding: {kind: Pod, name: p}\n",
		},
		{
			name: "core event",
			in:   "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: default}\ninvolvedObject: {kind: Pod, name: p}\n",
			want: "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: default}\ninvolvedObject: {kind: Pod, name: p}\n",
		},
		{
			name: "controller revision",
			in:   "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r, namespace: default}\nrevision: 2\n",
			want: "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: r, namespace: default}\nrevision: 2\n",
		},
	}
	runDefaultingCases(t, cases)
}
