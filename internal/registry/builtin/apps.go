package builtin

import (
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

func appsKind(kind, name, singular, key string, short ...string) *registry.Resource {
	gv := appsv1.SchemeGroupVersion
	return &registry.Resource{GroupVersion: gv, Kind: kind, StorageKind: gv.WithKind(kind), Namespaced: true,
		Name: name, SingularName: singular, KeyPrefix: key, ShortNames: short}
}

func selectorString(s *metav1.LabelSelector) string {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return ""
	}
	return sel.String()
}

func apps() []*registry.Resource {
	cr := appsKind("ControllerRevision", "controllerrevisions", "controllerrevision", "controllerrevisions")

	ds := appsKind("DaemonSet", "daemonsets", "daemonset", "daemonsets", "ds")
	ds.Categories, ds.Status, ds.TrackGeneration = []string{"all"}, true, true
	ds.StatusTakesMetadata = true
	// Upstream's conversion always writes the annotation, so the writer of a body
	// owns it even when it left it out (0 until the strategy sets it).
	ds.Internalize = func(obj runtime.Object) {
		d := obj.(*appsv1.DaemonSet)
		setTemplateGeneration(d, templateGeneration(d))
	}
	ds.PrepareForCreate = func(obj runtime.Object) {
		d := obj.(*appsv1.DaemonSet)
		setTemplateGeneration(d, max(templateGeneration(d), 1))
	}
	ds.PrepareForUpdate = func(obj, old runtime.Object) {
		d, o := obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet)
		n := templateGeneration(o)
		if !apiequality.Semantic.DeepEqual(d.Spec.Template, o.Spec.Template) {
			n++
		}
		setTemplateGeneration(d, n)
	}
	ds.KeepOnStatusUpdate = func(obj, old metav1.Object) {
		setTemplateGeneration(obj.(*appsv1.DaemonSet), templateGeneration(old.(*appsv1.DaemonSet)))
	}

	deploy := appsKind("Deployment", "deployments", "deployment", "deployments", "deploy")
	deploy.Categories, deploy.Status, deploy.TrackGeneration = []string{"all"}, true, true
	deploy.StatusTakesMetadata = true
	deploy.KeepOnStatusUpdate = func(obj, old metav1.Object) { obj.SetLabels(old.GetLabels()) }
	// Annotations are copied to a Deployment's ReplicaSets, so changing them is a new
	// generation too, as upstream.
	deploy.PrepareForUpdate = func(obj, old runtime.Object) {
		d, o := obj.(*appsv1.Deployment), old.(*appsv1.Deployment)
		if !apiequality.Semantic.DeepEqual(d.Annotations, o.Annotations) {
			d.Generation = o.Generation + 1
		}
	}
	deploy.Scale = &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			d := obj.(*appsv1.Deployment)
			return derefInt32(d.Spec.Replicas, 1), d.Status.Replicas, selectorString(d.Spec.Selector)
		},
		SetReplicas: func(obj runtime.Object, n int32) { obj.(*appsv1.Deployment).Spec.Replicas = &n },
	}

	rs := appsKind("ReplicaSet", "replicasets", "replicaset", "replicasets", "rs")
	rs.Categories, rs.Status, rs.TrackGeneration = []string{"all"}, true, true
	rs.StatusTakesMetadata = true
	rs.Scale = &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			r := obj.(*appsv1.ReplicaSet)
			return derefInt32(r.Spec.Replicas, 1), r.Status.Replicas, selectorString(r.Spec.Selector)
		},
		SetReplicas: func(obj runtime.Object, n int32) { obj.(*appsv1.ReplicaSet).Spec.Replicas = &n },
	}

	sts := appsKind("StatefulSet", "statefulsets", "statefulset", "statefulsets", "sts")
	sts.Categories, sts.Status, sts.TrackGeneration = []string{"all"}, true, true
	sts.StatusTakesMetadata = true
	sts.PrepareForCreate = func(obj runtime.Object) { typeClaimTemplates(obj.(*appsv1.StatefulSet)) }
	sts.PrepareForUpdate = func(obj, _ runtime.Object) { typeClaimTemplates(obj.(*appsv1.StatefulSet)) }
	// As upstream's conversion, before the writer's fields are recorded.
	sts.Internalize = func(obj runtime.Object) { typeClaimTemplates(obj.(*appsv1.StatefulSet)) }
	sts.OnDecode = func(obj runtime.Object) {
		if s, ok := obj.(*appsv1.StatefulSet); ok {
			typeClaimTemplates(s)
		}
	}
	sts.Scale = &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			s := obj.(*appsv1.StatefulSet)
			return derefInt32(s.Spec.Replicas, 1), s.Status.Replicas, selectorString(s.Spec.Selector)
		},
		SetReplicas: func(obj runtime.Object, n int32) { obj.(*appsv1.StatefulSet).Spec.Replicas = &n },
	}
	return []*registry.Resource{cr, ds, deploy, rs, sts}
}

// templateGeneration is upstream's DaemonSet spec.templateGeneration, which apps/v1
// carries in an annotation (0 when it is missing or unreadable).
func templateGeneration(d *appsv1.DaemonSet) int64 {
	n, err := strconv.ParseInt(d.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// setTemplateGeneration writes the annotation as upstream's conversion does: 1 on
// create (unless the client gave a higher one), one more on each update that changes
// the pod template, and never the client's to change after create.
func setTemplateGeneration(d *appsv1.DaemonSet, n int64) {
	annotations := maps.Clone(d.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[appsv1.DeprecatedTemplateGeneration] = strconv.FormatInt(n, 10)
	d.Annotations = annotations
}

// typeClaimTemplates sets apiVersion and kind on a StatefulSet's claim templates,
// as upstream's apps/v1 conversion does on every write and read (etcd's protobuf
// drops them, so reads need it too).
func typeClaimTemplates(s *appsv1.StatefulSet) {
	for i := range s.Spec.VolumeClaimTemplates {
		s.Spec.VolumeClaimTemplates[i].APIVersion, s.Spec.VolumeClaimTemplates[i].Kind = "v1", "PersistentVolumeClaim"
	}
}
