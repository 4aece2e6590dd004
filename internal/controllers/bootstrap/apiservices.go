package bootstrap

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/parallel"
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
	jobs := make([]func() error, len(c.cfg.LocalAPIServices))
	for i, want := range c.cfg.LocalAPIServices {
		want := want.DeepCopy()
		want.Labels = map[string]string{automanagedLabel: "onstart"}
		jobs[i] = func() error {
			return ensureEqual(ctx, st, want, func(cur runtime.Object) bool {
				return apiequality.Semantic.DeepEqual(cur.(*apiregistrationv1.APIService).Spec, want.Spec)
			}, func(cur runtime.Object) {
				cur.(*apiregistrationv1.APIService).Spec = want.Spec
			})
		}
	}
	return parallel.Run(apiServiceWorkers, jobs...)
}

// apiServiceWorkers is how many APIServices are written at once.
const apiServiceWorkers = 8
