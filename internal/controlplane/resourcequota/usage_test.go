package resourcequota

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission"
)

func list(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func requests(l corev1.ResourceList) podOpt {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = l }
}
func limits(l corev1.ResourceList) podOpt {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Limits = l }
}
func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func deadline(s int64) podOpt         { return func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = &s } }
func priority(c string) podOpt        { return func(p *corev1.Pod) { p.Spec.PriorityClassName = c } }

func meta(name string) runtime.Object {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
}

func TestQuotaUsage(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	widgets := schema.GroupResource{Group: "example.com", Resource: "widgets"}
	tests := []struct {
		name    string
		hard    corev1.ResourceList
		scopes  []corev1.ResourceQuotaScope
		sel     *corev1.ScopeSelector
		objects map[schema.GroupResource][]runtime.Object
		want    corev1.ResourceList
	}{
		{
			name: "compute requests and limits of running pods, terminal pods only in count/pods",
			hard: list("pods", "10", "count/pods", "10", "requests.cpu", "4", "limits.memory", "4Gi", "cpu", "4"),
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("a", requests(list("cpu", "100m")), limits(list("memory", "1Gi"))),
				pod("b", requests(list("cpu", "250m"))),
				pod("done", phase(corev1.PodSucceeded), requests(list("cpu", "1"))),
				pod("failed", phase(corev1.PodFailed), requests(list("cpu", "1"))),
			}},
			want: list("pods", "2", "count/pods", "4", "requests.cpu", "350m", "cpu", "350m", "limits.memory", "1Gi"),
		},
		{
			name: "extended resources and ephemeral storage",
			hard: list("requests.example.com/gpu", "4", "requests.ephemeral-storage", "10Gi", "limits.ephemeral-storage", "10Gi"),
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("a", requests(list("example.com/gpu", "2", "ephemeral-storage", "1Gi")), limits(list("example.com/gpu", "2", "ephemeral-storage", "2Gi"))),
			}},
			want: list("requests.example.com/gpu", "2", "requests.ephemeral-storage", "1Gi", "limits.ephemeral-storage", "2Gi"),
		},
		{
			name:   "BestEffort counts only pods without cpu or memory",
			hard:   list("pods", "10"),
			scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort},
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("besteffort"), pod("burstable", requests(list("cpu", "1"))),
			}},
			want: list("pods", "1"),
		},
		{
			name:   "NotBestEffort counts only pods with cpu or memory",
			hard:   list("pods", "10", "requests.memory", "1Gi"),
			scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort},
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("besteffort"), pod("burstable", requests(list("memory", "64Mi"))),
			}},
			want: list("pods", "1", "requests.memory", "64Mi"),
		},
		{
			name:   "Terminating counts pods with an active deadline",
			hard:   list("pods", "10"),
			scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating},
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("job", deadline(60)), pod("server"),
			}},
			want: list("pods", "1"),
		},
		{
			name:   "NotTerminating counts pods without one",
			hard:   list("pods", "10"),
			scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotTerminating},
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("job", deadline(60)), pod("server"), pod("server2"),
			}},
			want: list("pods", "2"),
		},
		{
			name: "PriorityClass scope selector",
			hard: list("pods", "10"),
			sel: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{{
				ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}}}},
			objects: map[schema.GroupResource][]runtime.Object{pods: {
				pod("a", priority("high")), pod("b", priority("low")), pod("c"),
			}},
			want: list("pods", "1"),
		},
		{
			name: "services with load balancers and node ports",
			hard: list("services", "10", "services.loadbalancers", "2", "services.nodeports", "5", "count/services", "10"),
			objects: map[schema.GroupResource][]runtime.Object{{Resource: "services"}: {
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ip"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Port: 80}}}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "np"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}, {Port: 443}}}},
				&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}},
			}},
			want: list("services", "3", "count/services", "3", "services.loadbalancers", "1", "services.nodeports", "3"),
		},
		{
			name: "claims with storage, per storage class",
			hard: list("persistentvolumeclaims", "10", "requests.storage", "100Gi", "gold.storageclass.storage.k8s.io/requests.storage", "50Gi",
				"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "5"),
			objects: map[schema.GroupResource][]runtime.Object{{Resource: "persistentvolumeclaims"}: {
				claim("a", "gold", "10Gi"), claim("b", "silver", "5Gi"), claim("c", "", "1Gi"),
			}},
			want: list("persistentvolumeclaims", "3", "requests.storage", "16Gi",
				"gold.storageclass.storage.k8s.io/requests.storage", "10Gi", "gold.storageclass.storage.k8s.io/persistentvolumeclaims", "1"),
		},
		{
			name: "object counts under both names, custom resources too",
			hard: list("configmaps", "10", "count/configmaps", "10", "secrets", "10", "count/widgets.example.com", "5", "count/replicationcontrollers", "3"),
			objects: map[schema.GroupResource][]runtime.Object{
				{Resource: "configmaps"}:             {meta("a"), meta("b")},
				{Resource: "secrets"}:                {meta("s")},
				widgets:                              {meta("w1"), meta("w2"), meta("w3")},
				{Resource: "replicationcontrollers"}: {},
			},
			want: list("configmaps", "2", "count/configmaps", "2", "secrets", "1", "count/widgets.example.com", "3", "count/replicationcontrollers", "0"),
		},
		{
			name:   "a scoped quota counts no plain objects",
			hard:   list("count/configmaps", "10", "pods", "10"),
			scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort},
			objects: map[schema.GroupResource][]runtime.Object{
				{Resource: "configmaps"}: {meta("a")},
				pods:                     {pod("a")},
			},
			want: list("count/configmaps", "0", "pods", "1"),
		},
		{
			name: "a resource that is not served is left out",
			hard: list("count/gadgets.example.com", "1", "count/secrets", "1"),
			objects: map[schema.GroupResource][]runtime.Object{
				{Resource: "secrets"}: {meta("s")},
			},
			want: list("count/secrets", "1"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"},
				Spec: corev1.ResourceQuotaSpec{Hard: tt.hard, Scopes: tt.scopes, ScopeSelector: tt.sel}}
			got, err := admission.QuotaUsage(q, func(gr schema.GroupResource) ([]runtime.Object, bool, error) {
				objs, ok := tt.objects[gr]
				return objs, ok, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !sameList(got, tt.want) {
				t.Errorf("used = %v, want %v", got, tt.want)
			}
		})
	}
}

func claim(name, class, size string) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: list("storage", size)}}}
	if class != "" {
		c.Spec.StorageClassName = &class
	}
	return c
}

func TestNextStatus(t *testing.T) {
	tests := []struct {
		name        string
		spec        corev1.ResourceList
		status      corev1.ResourceQuotaStatus
		fresh       corev1.ResourceList
		want        corev1.ResourceQuotaStatus
		wantChanged bool
	}{
		{
			name:        "a new quota gets hard and used",
			spec:        list("pods", "2"),
			fresh:       list("pods", "1"),
			want:        corev1.ResourceQuotaStatus{Hard: list("pods", "2"), Used: list("pods", "1")},
			wantChanged: true,
		},
		{
			name:   "an unchanged count writes nothing",
			spec:   list("pods", "2"),
			status: corev1.ResourceQuotaStatus{Hard: list("pods", "2"), Used: list("pods", "1000m")},
			fresh:  list("pods", "1"),
			want:   corev1.ResourceQuotaStatus{Hard: list("pods", "2"), Used: list("pods", "1")},
		},
		{
			name:        "usage given back",
			spec:        list("pods", "2"),
			status:      corev1.ResourceQuotaStatus{Hard: list("pods", "2"), Used: list("pods", "2")},
			fresh:       list("pods", "0"),
			want:        corev1.ResourceQuotaStatus{Hard: list("pods", "2"), Used: list("pods", "0")},
			wantChanged: true,
		},
		{
			name:        "a name nothing counts keeps its last value, a dropped name goes",
			spec:        list("count/gadgets.example.com", "3", "pods", "4"),
			status:      corev1.ResourceQuotaStatus{Hard: list("count/gadgets.example.com", "3", "secrets", "1"), Used: list("count/gadgets.example.com", "2", "secrets", "1")},
			fresh:       list("pods", "1"),
			want:        corev1.ResourceQuotaStatus{Hard: list("count/gadgets.example.com", "3", "pods", "4"), Used: list("count/gadgets.example.com", "2", "pods", "1")},
			wantChanged: true,
		},
		{
			name:   "an empty quota is in sync with an empty status",
			spec:   nil,
			status: corev1.ResourceQuotaStatus{},
			want:   corev1.ResourceQuotaStatus{},
		},
		{
			name:        "a name no resource backs is in hard only",
			spec:        list("foo", "1"),
			want:        corev1.ResourceQuotaStatus{Hard: list("foo", "1")},
			wantChanged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: tt.spec}, Status: tt.status}
			got, changed := nextStatus(q, tt.fresh)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if !sameList(got.Hard, tt.want.Hard) || !sameList(got.Used, tt.want.Used) {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAtLeast(t *testing.T) {
	tests := []struct {
		name        string
		fresh, last corev1.ResourceList
		want        corev1.ResourceList
	}{
		{"a lower count keeps the last value", list("pods", "5"), list("pods", "7"), list("pods", "7")},
		{"a higher count stands", list("pods", "8"), list("pods", "7"), list("pods", "8")},
		{"each name on its own", list("pods", "5", "requests.cpu", "2"), list("pods", "7", "requests.cpu", "1"),
			list("pods", "7", "requests.cpu", "2")},
		{"a name only in the last status is left to nextStatus", list("pods", "1"), list("secrets", "3"), list("pods", "1")},
		{"nothing last", list("pods", "1"), nil, list("pods", "1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := tt.last.DeepCopy()
			if got := atLeast(tt.fresh, tt.last); !sameList(got, tt.want) {
				t.Errorf("atLeast = %v, want %v", got, tt.want)
			}
			if !sameList(tt.last, last) {
				t.Errorf("atLeast changed its last list to %v", tt.last)
			}
		})
	}
}

func TestWarming(t *testing.T) {
	pods, secrets := schema.GroupResource{Resource: "pods"}, schema.GroupResource{Resource: "secrets"}
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := &sources{syncedAt: map[schema.GroupResource]time.Time{}}
	s.synced(pods, start)
	s.synced(pods, start.Add(time.Second)) // only the first listing counts
	s.synced(secrets, start.Add(warmUp/2))
	tests := []struct {
		name string
		grs  []schema.GroupResource
		at   time.Time
		want time.Duration
	}{
		{"just listed", []schema.GroupResource{pods}, start, warmUp},
		{"half way", []schema.GroupResource{pods}, start.Add(warmUp / 2), warmUp / 2},
		{"caught up", []schema.GroupResource{pods}, start.Add(warmUp), 0},
		{"long after", []schema.GroupResource{pods}, start.Add(time.Hour), 0},
		{"the latest listing decides", []schema.GroupResource{pods, secrets}, start.Add(warmUp), warmUp / 2},
		{"never listed: nothing counted from it", []schema.GroupResource{{Resource: "services"}}, start, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.warming(tt.grs, tt.at); got != tt.want {
				t.Errorf("warming = %v, want %v", got, tt.want)
			}
		})
	}
}
