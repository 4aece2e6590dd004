package admission_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/server"
)

// Feature names the framework infers for pod resizes.
const (
	podLevelResizeFeature = "InPlacePodLevelResourcesVerticalScaling"
	initResizeFeature     = "InPlacePodVerticalScalingInitContainers"
)

// TestNodeDeclaredFeatureValidator resizes and updates pods bound to a node that
// declares the resize features, to one that declares none, to a node that does not
// exist, and unbound: only an update needing a feature the node lacks is refused,
// with upstream's message.
func TestNodeDeclaredFeatureValidator(t *testing.T) {
	admin := start(t, func(c *server.Config) { c.DisableAdmissionPlugins = []string{"ServiceAccount"} })
	ctx := context.Background()
	for name, declared := range map[string][]string{"declares": {podLevelResizeFeature, initResizeFeature}, "bare": nil} {
		n, err := admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelOSStable: "linux"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("16Gi")}
		n.Status.DeclaredFeatures = declared
		if _, err := admin.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Each change is made to a pod with pod-level resources, one init container and
	// one sidecar.
	podLevelCPU := func(p *corev1.Pod) { p.Spec.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("2") }
	initCPU := func(p *corev1.Pod) {
		p.Spec.InitContainers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("200m")
	}
	sidecarCPU := func(p *corev1.Pod) {
		p.Spec.InitContainers[1].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("200m")
	}
	containerCPU := func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("200m")
	}
	cases := []struct {
		name, node string
		resize     bool // pods/resize, else an update of the pod
		change     func(*corev1.Pod)
		want       string // the Forbidden message; "" accepts
	}{
		{"pod-level resize on a declaring node", "declares", true, podLevelCPU, ""},
		{"init container resize on a declaring node", "declares", true, initCPU, ""},
		{"pod-level resize on a bare node", "bare", true, podLevelCPU,
			`pods "pod-level-resize-on-a-bare-node" is forbidden: pod update requires features InPlacePodLevelResourcesVerticalScaling which are not available on node "bare"`},
		{"init container resize on a bare node", "bare", true, initCPU,
			`pods "init-container-resize-on-a-bare-node" is forbidden: pod update requires features InPlacePodVerticalScalingInitContainers which are not available on node "bare"`},
		{"both resizes on a bare node", "bare", true, func(p *corev1.Pod) { podLevelCPU(p); initCPU(p) },
			`pods "both-resizes-on-a-bare-node" is forbidden: pod update requires features InPlacePodLevelResourcesVerticalScaling, InPlacePodVerticalScalingInitContainers which are not available on node "bare"`},
		{"container resize on a bare node needs nothing", "bare", true, containerCPU, ""},
		{"sidecar resize on a bare node needs nothing", "bare", true, sidecarCPU, ""},
		{"pod-level resize of an unbound pod", "", true, podLevelCPU, ""},
		{"pod-level resize on a missing node", "ghost", true, podLevelCPU,
			`pods "pod-level-resize-on-a-missing-node" is forbidden: node "ghost" not found`},
		{"image update on a missing node needs nothing", "ghost", false, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "busybox:2" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			created, err := admin.CoreV1().Pods("default").Create(ctx, resizablePod(name, tc.node), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tc.change(created)
			if tc.resize {
				_, err = admin.CoreV1().Pods("default").UpdateResize(ctx, name, created, metav1.UpdateOptions{})
			} else {
				_, err = admin.CoreV1().Pods("default").Update(ctx, created, metav1.UpdateOptions{})
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("update: %v", err)
				}
				return
			}
			wantStatus(t, err, http.StatusForbidden, tc.want)
		})
	}
}

// resizablePod has pod-level requests, a non-sidecar init container and a sidecar,
// each with a cpu request a resize can change.
func resizablePod(name, node string) *corev1.Pod {
	cpu := func(q string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}}
	}
	always := corev1.ContainerRestartPolicyAlways
	return pod(name, func(p *corev1.Pod) {
		p.Spec.NodeName = node
		p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
		p.Spec.Containers[0].Resources = cpu("100m")
		p.Spec.InitContainers = []corev1.Container{
			{Name: "init", Image: "busybox", Resources: cpu("100m")},
			{Name: "sidecar", Image: "busybox", Resources: cpu("100m"), RestartPolicy: &always},
		}
	})
}

// TestNodeDeclaredFeatureValidatorScope calls the plugin on requests it must leave
// alone (creates, other subresources, unchanged generations) with no node reader at
// all: reaching the node lookup would refuse them. The last cases show the lookup
// is reached, and that bad objects give upstream's BadRequest rather than a panic.
func TestNodeDeclaredFeatureValidatorScope(t *testing.T) {
	built, err := admission.Factories["NodeDeclaredFeatureValidator"](admission.Deps{
		Readers: func(schema.GroupVersionResource) admission.Reader { return nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	plugin, ok := built.(admission.Validator)
	if !ok {
		t.Fatalf("plugin %T is not a Validator", built)
	}
	podsGVR := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	old := resizablePod("p", "n")
	old.Generation = 1
	resized := old.DeepCopy()
	resized.Generation = 2
	resized.Spec.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("2")
	sameGeneration := resized.DeepCopy()
	sameGeneration.Generation = 1
	// An init container dropped from the end: the inference indexes the new list by
	// the old one's positions.
	moreInits := old.DeepCopy()
	moreInits.Spec.InitContainers = append(moreInits.Spec.InitContainers, corev1.Container{Name: "late", Image: "busybox"})
	fewerInits := resized.DeepCopy()
	fewerInits.Spec.InitContainers = fewerInits.Spec.InitContainers[:2]
	cases := []struct {
		name      string
		attrs     endpoints.Attributes
		wantCode  int32
		wantError string
	}{
		{"create is not checked", endpoints.Attributes{Operation: "CREATE", Resource: podsGVR, Name: "p", Object: resized}, 0, ""},
		{"status is not checked", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Subresource: "status", Name: "p", Object: resized, OldObject: old}, 0, ""},
		{"ephemeralcontainers are not checked", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Subresource: "ephemeralcontainers", Name: "p", Object: resized, OldObject: old}, 0, ""},
		{"pods of another group are not checked", endpoints.Attributes{Operation: "UPDATE", Resource: schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "pods"}, Name: "p", Object: resized, OldObject: old}, 0, ""},
		{"unchanged generation is not checked", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Subresource: "resize", Name: "p", Object: sameGeneration, OldObject: old}, 0, ""},
		{"resize reaches the node lookup", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Subresource: "resize", Name: "p", Object: resized, OldObject: old},
			http.StatusForbidden, `pods "p" is forbidden: failed to get node "n": resource not served`},
		{"object not a pod", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Name: "p", Object: &corev1.Node{}, OldObject: old},
			http.StatusBadRequest, "expected a pod but got a *v1.Node"},
		{"old object not a pod", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Name: "p", Object: resized, OldObject: &corev1.Node{}},
			http.StatusBadRequest, "expected an old pod but got a *v1.Node"},
		{"malformed pair is refused without a panic", endpoints.Attributes{Operation: "UPDATE", Resource: podsGVR, Name: "p", Object: fewerInits, OldObject: moreInits},
			http.StatusForbidden, `pods "p" is forbidden: failed to infer pod capability requirements: runtime error: index out of range [2] with length 2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := plugin.Validate(context.Background(), &tc.attrs)
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			wantStatus(t, err, tc.wantCode, tc.wantError)
		})
	}
}
