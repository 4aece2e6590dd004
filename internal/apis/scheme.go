package apis

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/kapi-dev/kapi/internal/apis/defaults"
)

// NewScheme returns a scheme with every served API group registered, meta/v1's
// options and list types for each group version, and the conversions and defaults
// that kapi registers itself.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	adders := []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		autoscalingv1.AddToScheme,
		coordinationv1.AddToScheme,
		eventsv1.AddToScheme,
		networkingv1.AddToScheme,
		metav1.AddMetaToScheme,
	}
	for _, add := range adders {
		utilruntime.Must(add(s))
	}
	// Clients send options bodies as meta.k8s.io/v1 as well as in the group version.
	s.AddKnownTypes(metav1.SchemeGroupVersion, &metav1.ListOptions{}, &metav1.GetOptions{}, &metav1.DeleteOptions{},
		&metav1.CreateOptions{}, &metav1.UpdateOptions{}, &metav1.PatchOptions{})
	utilruntime.Must(registerConversions(s))
	defaults.Register(s)
	return s
}
