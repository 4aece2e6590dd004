package builtin_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// withDefaultServiceAccount creates default/default, which the ServiceAccount
// admission plugin needs before pods can be created (no controller makes it here).
func withDefaultServiceAccount(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	_, err := cs.CoreV1().ServiceAccounts("default").Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func debugger(name string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: name, Image: "busybox", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
	}}
}

func TestPodEphemeralContainers(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	withDefaultServiceAccount(t, cs)
	pods := cs.CoreV1().Pods("default")
	ctx := context.Background()
	if _, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	withPorts := debugger("porty")
	withPorts.Ports = []corev1.ContainerPort{{ContainerPort: 80}}
	targeted := debugger("targeted")
	targeted.TargetContainerName = "nope"
	changed := debugger("first")
	changed.Image = "alpine"
	tests := []struct {
		name    string
		edit    func(p *corev1.Pod)
		wantErr string
		check   func(t *testing.T, p *corev1.Pod)
	}{
		{name: "add one, other spec changes ignored", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, debugger("first"))
			p.Spec.Containers[0].Image = "ignored"
		}, check: func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.EphemeralContainers) != 1 || p.Spec.Containers[0].Image != "nginx" {
				t.Errorf("ephemeral %v, image %q", p.Spec.EphemeralContainers, p.Spec.Containers[0].Image)
			}
		}},
		{name: "name shared with a container", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, debugger("app"))
		}, wantErr: `spec.ephemeralContainers[1].name: Duplicate value: "app"`},
		{name: "existing one changed", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers[0] = changed
		}, wantErr: `existing ephemeral containers "first" may not be changed`},
		{name: "existing one removed", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = nil
		}, wantErr: `existing ephemeral containers "first" may not be removed`},
		{name: "ports are not allowed", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, withPorts)
		}, wantErr: "spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container"},
		{name: "unknown target container", edit: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, targeted)
		}, wantErr: `spec.ephemeralContainers[1].targetContainerName: Not found: "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := pods.Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(cur)
			got, err := pods.UpdateEphemeralContainers(ctx, "web", cur, metav1.UpdateOptions{})
			if tc.wantErr != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want 422 %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
	t.Run("strategic merge patch adds one", func(t *testing.T) {
		patch := `{"spec":{"ephemeralContainers":[{"name":"second","image":"busybox","terminationMessagePolicy":"File","imagePullPolicy":"Always"}]}}`
		got, err := pods.Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "ephemeralcontainers")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.EphemeralContainers) != 2 {
			t.Fatalf("ephemeral containers %v", got.Spec.EphemeralContainers)
		}
	})
}

func resources(req, lim map[corev1.ResourceName]string) corev1.ResourceRequirements {
	conv := func(m map[corev1.ResourceName]string) corev1.ResourceList {
		if m == nil {
			return nil
		}
		out := corev1.ResourceList{}
		for k, v := range m {
			out[k] = resource.MustParse(v)
		}
		return out
	}
	return corev1.ResourceRequirements{Requests: conv(req), Limits: conv(lim)}
}

func TestPodResize(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	withDefaultServiceAccount(t, cs)
	pods := cs.CoreV1().Pods("default")
	ctx := context.Background()
	guaranteed := resources(map[corev1.ResourceName]string{"cpu": "100m", "memory": "64Mi"}, map[corev1.ResourceName]string{"cpu": "100m", "memory": "64Mi"})
	burstable := resources(map[corev1.ResourceName]string{"cpu": "100m", "memory": "64Mi"}, map[corev1.ResourceName]string{"memory": "128Mi"})
	for name, res := range map[string]corev1.ResourceRequirements{"guaranteed": guaranteed, "burstable": burstable} {
		if _, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx", Resources: res}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, pod string
		edit      func(p *corev1.Pod)
		wantErr   string
		check     func(t *testing.T, p *corev1.Pod)
	}{
		{name: "cpu grows, image change ignored", pod: "guaranteed", edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = resources(map[corev1.ResourceName]string{"cpu": "200m", "memory": "64Mi"}, map[corev1.ResourceName]string{"cpu": "200m", "memory": "64Mi"})
			p.Spec.Containers[0].Image = "ignored"
		}, check: func(t *testing.T, p *corev1.Pod) {
			if got := p.Spec.Containers[0].Resources.Limits.Cpu().String(); got != "200m" || p.Spec.Containers[0].Image != "nginx" {
				t.Errorf("cpu limit %s, image %q", got, p.Spec.Containers[0].Image)
			}
			if p.Generation != 2 {
				t.Errorf("generation %d, want 2", p.Generation)
			}
		}},
		{name: "qos class may not change", pod: "guaranteed", edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("500m")
		}, wantErr: "Pod QOS Class may not change as a result of resizing"},
		{name: "requests may not be removed", pod: "burstable", edit: func(p *corev1.Pod) {
			delete(p.Spec.Containers[0].Resources.Requests, corev1.ResourceCPU)
		}, wantErr: "spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed"},
		{name: "only cpu and memory", pod: "burstable", edit: func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits[corev1.ResourceEphemeralStorage] = resource.MustParse("1Gi")
		}, wantErr: "only cpu and memory resources are mutable"},
		{name: "containers may not be added", pod: "burstable", edit: func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "extra", Image: "nginx"})
		}, wantErr: "containers may not be added or removed on resize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := pods.Get(ctx, tc.pod, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(cur)
			got, err := pods.UpdateResize(ctx, tc.pod, cur, metav1.UpdateOptions{})
			if tc.wantErr != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want 422 %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}
