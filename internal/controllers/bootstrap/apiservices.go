package bootstrap

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

var apiServicesGVR = apiregistrationv1.SchemeGroupVersion.WithResource("apiservices")

// automanagedLabel marks the APIServices of the server's own group versions, as the
// aggregator's auto-registration marks them.
const automanagedLabel = "kube-aggregator.kubernetes.io/automanaged"

// apiServices registers a Local APIService for each group version the server serves,
// so that clients listing APIServices see what kube-apiserver's aggregator shows, and
// corrects the priorities of existing ones.
func (c *Controller) apiServices(ctx context.Context) error {
	st := c.cfg.Stores(apiServicesGVR)
	if st == nil {
		return nil
	}
	for _, want := range c.cfg.LocalAPIServices {
		want := want.DeepCopy()
		want.Labels = map[string]string{automanagedLabel: "onstart"}
		err := ensureEqual(ctx, st, want, func(cur runtime.Object) bool {
			return apiequality.Semantic.DeepEqual(cur.(*apiregistrationv1.APIService).Spec, want.Spec)
		}, func(cur runtime.Object) {
			cur.(*apiregistrationv1.APIService).Spec = want.Spec
		})
		if err != nil {
			return err
		}
	}
	return nil
}
