package admission_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestLimitRanger checks defaults, the annotation and the min/max/ratio messages.
func TestLimitRanger(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "lr")
	_, err := cs.CoreV1().LimitRanges("lr").Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
			{Type: corev1.LimitTypeContainer, Default: rl("memory", "256Mi"), DefaultRequest: rl("cpu", "100m"),
				Max: rl("memory", "1Gi"), Min: rl("cpu", "50m"), MaxLimitRequestRatio: rl("memory", "2")},
			{Type: corev1.LimitTypePod, Max: rl("memory", "1500Mi")},
			{Type: corev1.LimitTypePersistentVolumeClaim, Min: rl("storage", "1Gi")},
		}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("defaults", func(t *testing.T) {
		got, err := cs.CoreV1().Pods("lr").Create(ctx, pod("d", withResources(rl("memory", "200Mi"), nil)), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res := got.Spec.Containers[0].Resources
		if q := res.Requests["cpu"]; q.String() != "100m" {
			t.Errorf("cpu request = %s", q.String())
		}
		if q := res.Limits["memory"]; q.String() != "256Mi" {
			t.Errorf("memory limit = %s", q.String())
		}
		if a := got.Annotations["kubernetes.io/limit-ranger"]; a != "LimitRanger plugin set: cpu request for container c; memory limit for container c" {
			t.Errorf("annotation = %q", a)
		}
	})
	cases := []struct {
		name string
		pod  *corev1.Pod
		msg  string
	}{
		{"container max and ratio", pod("m", withResources(rl("cpu", "100m", "memory", "512Mi"), rl("memory", "2Gi"))),
			`pods "m" is forbidden: [maximum memory usage per Container is 1Gi, but limit is 2Gi, memory max limit to request ratio per Container is 2, but provided ratio is 4.000000, maximum memory usage per Pod is 1500Mi, but limit is 2Gi]`},
		{"container min", pod("n", withResources(rl("cpu", "10m", "memory", "200Mi"), nil)),
			`pods "n" is forbidden: minimum cpu usage per Container is 50m, but request is 10m`},
		{"pod max", pod("p", func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "d", Image: "busybox"})
			for i := range p.Spec.Containers {
				p.Spec.Containers[i].Resources = corev1.ResourceRequirements{Requests: rl("memory", "600Mi"), Limits: rl("memory", "1Gi")}
			}
		}), `pods "p" is forbidden: maximum memory usage per Pod is 1500Mi, but limit is 2Gi`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cs.CoreV1().Pods("lr").Create(ctx, tc.pod, metav1.CreateOptions{})
			wantStatus(t, err, http.StatusForbidden, tc.msg)
		})
	}
	t.Run("claim min", func(t *testing.T) {
		_, err := cs.CoreV1().PersistentVolumeClaims("lr").Create(ctx, claim("small", nil, "500Mi"), metav1.CreateOptions{})
		wantStatus(t, err, http.StatusForbidden, `persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi`)
	})
}

func claim(name string, class *string, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
		StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources: corev1.VolumeResourceRequirements{Requests: rl("storage", size)}}}
}

// TestStorageNetworkNodePlugins covers DefaultStorageClass,
// StorageObjectInUseProtection, PersistentVolumeClaimResize, DefaultIngressClass,
// TaintNodesByCondition, Priority's single default and NamespaceLifecycle's
// immortal namespaces.
func TestStorageNetworkNodePlugins(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "st")
	for _, sc := range []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "std", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "x"},
		{ObjectMeta: metav1.ObjectMeta{Name: "fixed"}, Provisioner: "x", AllowVolumeExpansion: ptr.To(false)},
	} {
		if _, err := cs.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx",
		Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}, Spec: networkingv1.IngressClassSpec{Controller: "x/y"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("default storage class and pvc protection", func(t *testing.T) {
		got, err := cs.CoreV1().PersistentVolumeClaims("st").Create(ctx, claim("c1", nil, "1Gi"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.StorageClassName == nil || *got.Spec.StorageClassName != "std" {
			t.Errorf("class = %v", got.Spec.StorageClassName)
		}
		if len(got.Finalizers) != 1 || got.Finalizers[0] != "kubernetes.io/pvc-protection" {
			t.Errorf("finalizers = %v", got.Finalizers)
		}
	})
	t.Run("pv protection", func(t *testing.T) {
		got, err := cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv1"}, Spec: corev1.PersistentVolumeSpec{
			Capacity: rl("storage", "1Gi"), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Finalizers) != 1 || got.Finalizers[0] != "kubernetes.io/pv-protection" {
			t.Errorf("finalizers = %v", got.Finalizers)
		}
	})
	t.Run("resize refused", func(t *testing.T) {
		c, err := cs.CoreV1().PersistentVolumeClaims("st").Create(ctx, claim("c2", ptr.To("fixed"), "1Gi"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.Status.Phase = corev1.ClaimBound
		if c, err = cs.CoreV1().PersistentVolumeClaims("st").UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		c.Spec.Resources.Requests = rl("storage", "2Gi")
		_, err = cs.CoreV1().PersistentVolumeClaims("st").Update(ctx, c, metav1.UpdateOptions{})
		wantStatus(t, err, http.StatusForbidden, `persistentvolumeclaims "c2" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`)
	})
	t.Run("default ingress class", func(t *testing.T) {
		got, err := cs.NetworkingV1().Ingresses("st").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "i"},
			Spec: networkingv1.IngressSpec{DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "s", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.IngressClassName == nil || *got.Spec.IngressClassName != "nginx" {
			t.Errorf("class = %v", got.Spec.IngressClassName)
		}
	})
	t.Run("new node tainted not-ready", func(t *testing.T) {
		got, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.Taints) != 1 || got.Spec.Taints[0].Key != "node.kubernetes.io/not-ready" || got.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule {
			t.Errorf("taints = %+v", got.Spec.Taints)
		}
	})
	t.Run("second default priority class", func(t *testing.T) {
		for i, name := range []string{"d1", "d2"} {
			_, err := cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: 10, GlobalDefault: true}, metav1.CreateOptions{})
			if i == 0 && err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				wantStatus(t, err, http.StatusForbidden, `priorityclasses.scheduling.k8s.io "d2" is forbidden: PriorityClass d1 is already marked as default. Only one default can exist`)
			}
		}
		got, err := cs.CoreV1().Pods("st").Create(ctx, pod("withdefault"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.PriorityClassName != "d1" || *got.Spec.Priority != 10 {
			t.Errorf("priority = %q %v", got.Spec.PriorityClassName, *got.Spec.Priority)
		}
	})
	t.Run("immortal namespace", func(t *testing.T) {
		err := cs.CoreV1().Namespaces().Delete(ctx, "kube-system", metav1.DeleteOptions{})
		wantStatus(t, err, http.StatusForbidden, `namespaces "kube-system" is forbidden: this namespace may not be deleted`)
	})
	t.Run("terminating namespace", func(t *testing.T) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ending"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"example.com/hold"}}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Namespaces().Delete(ctx, "ending", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// Admission reads namespaces from the watch cache, which sees the deletion a
		// moment later; dry runs (admitted all the same) wait for it without
		// creating anything.
		var err error
		for deadline := time.Now().Add(10 * time.Second); err == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			_, err = cs.CoreV1().ConfigMaps("ending").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}},
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		}
		wantStatus(t, err, http.StatusForbidden, `configmaps "late" is forbidden: unable to create new content in namespace ending because it is being terminated`)
		// Upstream's cause says it shorter than the message.
		want := metav1.StatusCause{Type: corev1.NamespaceTerminatingCause, Message: "namespace ending is being terminated", Field: "metadata.namespace"}
		if st := err.(*apierrors.StatusError).ErrStatus; st.Details == nil || len(st.Details.Causes) != 1 || st.Details.Causes[0] != want {
			t.Errorf("details %+v, want the cause %+v", st.Details, want)
		}
	})
}
