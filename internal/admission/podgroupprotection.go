package admission

import (
	"context"
	"slices"

	schedulingv1alpha3 "k8s.io/api/scheduling/v1alpha3"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["PodGroupProtection"] = func(Deps, []byte) (any, error) { return podGroupProtection{}, nil }
}

// podGroupProtectionFinalizer keeps a PodGroup until no pod refers to it.
const podGroupProtectionFinalizer = "scheduling.k8s.io/podgroup-protection"

// podGroupProtection puts the protection finalizer on every new PodGroup, as
// upstream's plugin does when the GenericWorkload gate is on. The PodGroup API
// (scheduling.k8s.io/v1alpha3) is alpha and, as in kube-apiserver's default
// configuration, not served by kapi, so the plugin has nothing to act on until it is.
type podGroupProtection struct{}

func (podGroupProtection) Admit(_ context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" || !isMain(a, "scheduling.k8s.io", "podgroups") {
		return nil
	}
	pg, ok := a.Object.(*schedulingv1alpha3.PodGroup)
	if !ok || slices.Contains(pg.Finalizers, podGroupProtectionFinalizer) {
		return nil
	}
	pg.Finalizers = append(pg.Finalizers, podGroupProtectionFinalizer)
	return nil
}
