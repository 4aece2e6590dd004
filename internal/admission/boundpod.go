package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// boundPodSpecUpdate returns the new and old pod of an update that changed the spec
// (generation moved) of a pod bound to a node, or two nils when the update is of
// another kind; the plugins that check a pod update against its node start here.
func boundPodSpecUpdate(a *endpoints.Attributes) (pod, old *corev1.Pod, err error) {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("expected a pod but got a %T", a.Object))
	}
	if pod.Spec.NodeName == "" {
		return nil, nil, nil
	}
	old, ok = a.OldObject.(*corev1.Pod)
	if !ok {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("expected an old pod but got a %T", a.OldObject))
	}
	// Generation moves only with the spec: an unchanged spec needs nothing new.
	if old.Generation == pod.Generation {
		return nil, nil, nil
	}
	return pod, old, nil
}

// podNode reads the node a pod is bound to; a missing or unreadable node refuses
// the request with upstream's messages.
func podNode(ctx context.Context, d Deps, a *endpoints.Attributes, name string) (*corev1.Node, error) {
	obj, err := getCached(ctx, d, nodesGVR, "", name)
	if apierrors.IsNotFound(err) {
		return nil, forbidden(a, fmt.Errorf("node %q not found", name))
	}
	if err != nil {
		return nil, forbidden(a, fmt.Errorf("failed to get node %q: %w", name, err))
	}
	node, ok := obj.(*corev1.Node)
	if !ok {
		return nil, forbidden(a, fmt.Errorf("failed to get node %q: unexpected %T", name, obj))
	}
	return node, nil
}
