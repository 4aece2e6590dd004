package admission

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/version"
	ndf "k8s.io/component-helpers/nodedeclaredfeatures"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// nodeDeclaredFeaturesTarget is the version the inference asks about: the version
// kapi serves (internal/server.Version), so features retired before it are not
// required any more.
const nodeDeclaredFeaturesTarget = "v1.37.2"

func init() {
	Factories["NodeDeclaredFeatureValidator"] = func(d Deps, _ []byte) (any, error) {
		v, err := version.Parse(nodeDeclaredFeaturesTarget)
		if err != nil {
			return nil, fmt.Errorf("failed to parse version: %w", err)
		}
		return nodeDeclaredFeatureValidator{d: d, framework: ndf.DefaultFramework, target: v}, nil
	}
}

// nodeDeclaredFeatureValidator refuses an update of a bound pod that needs a node
// feature (pod-level resize, non-sidecar init container resize, ...) its node does
// not list in status.declaredFeatures, as upstream's NodeDeclaredFeatureValidator.
// Only the pod spec and pods/resize are checked; other subresources cannot change
// what the features cover. Upstream's ResourceSlice check sits behind the alpha
// DRANodeAllocatableResources gate, off in v1.37's defaults, so it is left out.
type nodeDeclaredFeatureValidator struct {
	d         Deps
	framework *ndf.Framework
	target    *version.Version
}

func (p nodeDeclaredFeatureValidator) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" || a.Resource.Group != "" || a.Resource.Resource != "pods" {
		return nil
	}
	if a.Subresource != "" && a.Subresource != "resize" {
		return nil
	}
	pod, old, err := boundPodSpecUpdate(a)
	if pod == nil || err != nil {
		return err
	}
	reqs, err := p.infer(old, pod)
	if err != nil {
		return forbidden(a, fmt.Errorf("failed to infer pod capability requirements: %w", err))
	}
	if reqs.IsEmpty() {
		return nil
	}
	node, err := podNode(ctx, p.d, a, pod.Spec.NodeName)
	if err != nil {
		return err
	}
	result, err := p.match(reqs, node)
	if err != nil {
		return forbidden(a, fmt.Errorf("failed to match pod requirements against node %q: %w", node.Name, err))
	}
	if !result.IsMatch {
		return forbidden(a, fmt.Errorf("pod update requires features %s which are not available on node %q",
			strings.Join(result.UnsatisfiedRequirements, ", "), node.Name))
	}
	return nil
}

// infer asks the framework which declared features the update from old to pod
// needs. A feature's inference that trips over a malformed pair (one the strategy's
// validation should already have refused) becomes an error, never a panic.
func (p nodeDeclaredFeatureValidator) infer(old, pod *corev1.Pod) (reqs ndf.FeatureSet, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return p.framework.InferForPodUpdate(
		&ndf.PodInfo{Spec: &old.Spec, Status: &old.Status},
		&ndf.PodInfo{Spec: &pod.Spec, Status: &pod.Status},
		p.target)
}

// match compares reqs with the node's declared features. The framework expects the
// list sorted, as upstream's node validation requires; a copy is sorted so that an
// unsorted list still matches what it names.
func (p nodeDeclaredFeatureValidator) match(reqs ndf.FeatureSet, node *corev1.Node) (*ndf.MatchResult, error) {
	declared := slices.Clone(node.Status.DeclaredFeatures)
	slices.Sort(declared)
	return p.framework.MatchNodeFeatureSet(reqs, p.framework.TryMap(declared))
}
