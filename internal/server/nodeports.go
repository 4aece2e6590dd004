package server

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
)

// newNodePortAllocator keeps the node port bitmap where kube-apiserver does:
// <prefix>/ranges/servicenodeports, a core/v1 RangeAllocation in protobuf, encrypted
// when the encryption config names servicenodeportallocations.
func (s *Server) newNodePortAllocator(scheme *runtime.Scheme, codec runtime.Codec, enc *encryption) *portalloc.Allocator {
	gvk := corev1.SchemeGroupVersion.WithKind("RangeAllocation")
	prefix := s.cfg.EtcdPrefix + "/ranges/"
	// Nothing lists the one range object; the list type only fills the signature.
	newList := func() runtime.Object { return &metav1.List{} }
	st := etcd3.New(s.client, codec, gvk, newFuncFor(scheme, gvk), newList, prefix,
		enc.storeOption(schema.GroupResource{Resource: "servicenodeportallocations"}))
	s.nodePorts = portalloc.New(st, prefix+"servicenodeports", s.cfg.nodePortRange())
	return s.nodePorts
}

// nodePortRepairer rebuilds the node port bitmap from the stored Services.
func (s *Server) nodePortRepairer() *portalloc.Repairer {
	return portalloc.NewRepairer(s.nodePorts, func(ctx context.Context) ([]corev1.Service, error) {
		st := s.stores[corev1.SchemeGroupVersion.WithResource("services")]
		if st == nil {
			return nil, fmt.Errorf("no services store")
		}
		list, err := st.List(ctx, metav1.NamespaceAll, &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		svcs, ok := list.(*corev1.ServiceList)
		if !ok {
			return nil, fmt.Errorf("unexpected services list %T", list)
		}
		return svcs.Items, nil
	})
}

// startNodePortRepair repairs the node port bitmap once before the server is ready
// (after a restart, or a change of --service-node-port-range) and then every
// portalloc.RepairInterval until bg ends.
func (s *Server) startNodePortRepair(ctx, bg context.Context) error {
	r := s.nodePortRepairer()
	if err := r.RunOnce(ctx); err != nil {
		return fmt.Errorf("repairing service node ports: %w", err)
	}
	go r.Run(bg, portalloc.RepairInterval)
	return nil
}
