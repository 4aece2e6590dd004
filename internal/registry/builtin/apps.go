package builtin

import (
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
	sts.Scale = &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			s := obj.(*appsv1.StatefulSet)
			return derefInt32(s.Spec.Replicas, 1), s.Status.Replicas, selectorString(s.Spec.Selector)
		},
		SetReplicas: func(obj runtime.Object, n int32) { obj.(*appsv1.StatefulSet).Spec.Replicas = &n },
	}
	return []*registry.Resource{cr, ds, deploy, rs, sts}
}
