package printers

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Deployment prints NAME READY UP-TO-DATE AVAILABLE AGE; wide adds CONTAINERS
// IMAGES SELECTOR.
func Deployment() *registry.Table { return deploymentTable(time.Now) }

func deploymentTable(now clock) *registry.Table {
	status := appsv1.DeploymentStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Ready", "string", descReadyPods),
		column("Up-to-date", "string", status["updatedReplicas"]),
		column("Available", "string", status["availableReplicas"]),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("deployments", cols, func(d *appsv1.Deployment) []any {
		// Unlike the other workloads, an empty selector prints as "" here, not "<none>".
		selector := "<invalid>"
		if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
			selector = sel.String()
		}
		names, images := containerCells(d.Spec.Template.Spec.Containers)
		return []any{
			d.Name,
			fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, deref(d.Spec.Replicas, 0)),
			int64(d.Status.UpdatedReplicas),
			int64(d.Status.AvailableReplicas),
			since(now, d.CreationTimestamp),
			names, images, selector,
		}
	})
}

// ReplicaSet prints NAME DESIRED CURRENT READY AGE; wide adds CONTAINERS IMAGES
// SELECTOR.
func ReplicaSet() *registry.Table { return replicaSetTable(time.Now) }

func replicaSetTable(now clock) *registry.Table {
	status := appsv1.ReplicaSetStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Desired", "integer", appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
		column("Current", "integer", status["replicas"]),
		column("Ready", "integer", status["readyReplicas"]),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("replicasets", cols, func(rs *appsv1.ReplicaSet) []any {
		names, images := containerCells(rs.Spec.Template.Spec.Containers)
		return []any{
			rs.Name,
			int64(deref(rs.Spec.Replicas, 0)),
			int64(rs.Status.Replicas),
			int64(rs.Status.ReadyReplicas),
			since(now, rs.CreationTimestamp),
			names, images, metav1.FormatLabelSelector(rs.Spec.Selector),
		}
	})
}

// StatefulSet prints NAME READY AGE; wide adds CONTAINERS IMAGES.
func StatefulSet() *registry.Table { return statefulSetTable(time.Now) }

func statefulSetTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Ready", "string", descReadyPods),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
	}
	return typed("statefulsets", cols, func(ss *appsv1.StatefulSet) []any {
		names, images := containerCells(ss.Spec.Template.Spec.Containers)
		return []any{
			ss.Name,
			fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, deref(ss.Spec.Replicas, 0)),
			since(now, ss.CreationTimestamp),
			names, images,
		}
	})
}

// DaemonSet prints NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR
// AGE; wide adds CONTAINERS IMAGES SELECTOR.
func DaemonSet() *registry.Table { return daemonSetTable(time.Now) }

func daemonSetTable(now clock) *registry.Table {
	status := appsv1.DaemonSetStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Desired", "integer", status["desiredNumberScheduled"]),
		column("Current", "integer", status["currentNumberScheduled"]),
		column("Ready", "integer", status["numberReady"]),
		column("Up-to-date", "integer", status["updatedNumberScheduled"]),
		column("Available", "integer", status["numberAvailable"]),
		column("Node Selector", "string", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("daemonsets", cols, func(ds *appsv1.DaemonSet) []any {
		names, images := containerCells(ds.Spec.Template.Spec.Containers)
		return []any{
			ds.Name,
			int64(ds.Status.DesiredNumberScheduled),
			int64(ds.Status.CurrentNumberScheduled),
			int64(ds.Status.NumberReady),
			int64(ds.Status.UpdatedNumberScheduled),
			int64(ds.Status.NumberAvailable),
			labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
			since(now, ds.CreationTimestamp),
			names, images, metav1.FormatLabelSelector(ds.Spec.Selector),
		}
	})
}

// ControllerRevision prints NAME CONTROLLER REVISION AGE; CONTROLLER is
// "<kind>.<group>/<name>" in lower case, or "<none>" without a controller.
func ControllerRevision() *registry.Table { return controllerRevisionTable(time.Now) }

func controllerRevisionTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Controller", "string", "Controller of the object"),
		column("Revision", "string", appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
		ageColumn(),
	}
	return typedErr("controllerrevisions", cols, func(cr *appsv1.ControllerRevision) ([]any, error) {
		controller := none
		if ref := metav1.GetControllerOf(cr); ref != nil {
			gv, err := schema.ParseGroupVersion(ref.APIVersion)
			if err != nil {
				return nil, fmt.Errorf("printers: controllerrevision %s: owner apiVersion: %w", cr.Name, err)
			}
			controller = ref.Name
			if gk := gv.WithKind(ref.Kind).GroupKind(); !gk.Empty() {
				controller = strings.ToLower(gk.String()) + "/" + ref.Name
			}
		}
		return []any{cr.Name, controller, cr.Revision, since(now, cr.CreationTimestamp)}, nil
	})
}
