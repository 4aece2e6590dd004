package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["PodResizeValidator"] = func(d Deps, _ []byte) (any, error) { return podResizeValidator{d}, nil }
}

// podResizeValidator refuses an in-place resize (pods/resize) of a bound pod that
// its node cannot take: a node that is not linux, or requests above the node's
// allocatable cpu or memory, as upstream's PodResizeValidator.
type podResizeValidator struct{ d Deps }

func (p podResizeValidator) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" || a.Resource.Group != "" || a.Resource.Resource != "pods" || a.Subresource != "resize" {
		return nil
	}
	pod, _, err := boundPodSpecUpdate(a)
	if pod == nil || err != nil {
		return err
	}
	node, err := podNode(ctx, p.d, a, pod.Spec.NodeName)
	if err != nil {
		return err
	}
	if os, ok := node.Labels[corev1.LabelOSStable]; ok && os != "linux" {
		return resizeRefused(a, fmt.Errorf("pod resize is only supported on linux nodes, node %q is %q", node.Name, os), "UnsupportedPlatform")
	}
	requests := podTotals(pod, false, true)
	cpu, mem := requests[corev1.ResourceCPU], requests[corev1.ResourceMemory]
	allocCPU, allocMem := node.Status.Allocatable.Cpu(), node.Status.Allocatable.Memory()
	var over []string
	if cpu.Cmp(*allocCPU) > 0 {
		over = append(over, fmt.Sprintf("cpu, requested: %d, allocatable: %d", cpu.MilliValue(), allocCPU.MilliValue()))
	}
	if mem.Cmp(*allocMem) > 0 {
		over = append(over, fmt.Sprintf("memory, requested: %d, allocatable: %d", mem.Value(), allocMem.Value()))
	}
	if len(over) > 0 {
		return resizeRefused(a, fmt.Errorf("node didn't have enough allocatable resources: %s", strings.Join(over, "; ")), "NodeCapacity")
	}
	return nil
}

// resizeRefused is the Forbidden error of a refused resize, with a cause naming why.
func resizeRefused(a *endpoints.Attributes, err error, reason metav1.CauseType) error {
	ferr := forbidden(a, err)
	var se *apierrors.StatusError
	if errors.As(ferr, &se) {
		if se.ErrStatus.Details == nil {
			se.ErrStatus.Details = &metav1.StatusDetails{}
		}
		se.ErrStatus.Details.Causes = append(se.ErrStatus.Details.Causes, metav1.StatusCause{Type: reason})
	}
	return ferr
}
