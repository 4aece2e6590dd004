package server

import (
	"context"
	"net/url"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/apiextensions"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/storage"
)

var crdGVR = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// newCustomResources returns the manager that serves the custom resources of the
// stored CRDs; publish updates discovery and OpenAPI.
func (s *Server) newCustomResources(jsonCodec runtime.Codec, enc *encryption,
	publish func([]*registry.Resource, []*apiextensionsv1.CustomResourceDefinition)) *apiextensions.Manager {
	crds := s.stores[crdGVR]
	crds.Resource().PrepareForDelete = func(obj runtime.Object) bool {
		return apiextensions.PrepareForDelete(obj.(*apiextensionsv1.CustomResourceDefinition))
	}
	services := s.stores[schema.GroupVersionResource{Version: "v1", Resource: "services"}]
	slices := s.stores[schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}]
	serviceHost := webhook.ServiceHost(webhook.ServicesFrom(services), webhook.EndpointSlicesFrom(slices), false)
	return apiextensions.New(apiextensions.Config{
		CRDs:                    crds,
		API:                     s.api,
		Codec:                   jsonCodec,
		EtcdPrefix:              s.cfg.EtcdPrefix,
		DeleteCollectionWorkers: s.cfg.DeleteCollectionWorkers,
		Publish:                 publish,
		NewStorage: func(res *registry.Resource, codec runtime.Codec, newFunc, newList func() runtime.Object) (storage.Interface, func(), error) {
			c, err := s.newCache(res, enc, codec, s.cfg.EtcdPrefix+"/"+res.KeyPrefix+"/", newFunc, newList)
			if err != nil {
				return nil, nil, err
			}
			return c, c.Stop, nil
		},
		ResolveService: func(ns, name string, port int32) (*url.URL, error) {
			host, err := serviceHost(context.Background(), ns, name, port)
			if err != nil {
				return nil, err
			}
			return &url.URL{Scheme: "https", Host: host}, nil
		},
	})
}
