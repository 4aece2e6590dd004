package server

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/admission/policy"
	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/registry"
)

// externalAdmissionPlugins are built by their own packages and inserted into the
// chain with Chain.Insert; the built-in chain leaves them out.
var externalAdmissionPlugins = []string{
	"MutatingAdmissionPolicy", "MutatingAdmissionWebhook",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook",
}

// newAdmissionChain builds the admission chain the flags ask for, in upstream's
// order. types is the built-in kinds' server-side apply schema, built on first use.
func (s *Server) newAdmissionChain(authorizer authz.Authorizer, scheme *runtime.Scheme, resources []*registry.Resource,
	types func() (managedfields.TypeConverter, error)) (admission.Chain, error) {
	cfg := s.cfg.AdmissionOptions
	names, err := admission.EnabledPlugins(cfg.EnableAdmissionPlugins, cfg.DisableAdmissionPlugins)
	if err != nil {
		return nil, err
	}
	file, err := admission.ReadConfig(cfg.AdmissionControlConfigFile)
	if err != nil {
		return nil, err
	}
	deps := admission.Deps{
		Readers: func(gvr schema.GroupVersionResource) admission.Reader {
			if st := s.stores[gvr]; st != nil {
				return st
			}
			return nil
		},
		ResourceReaders: func(gr schema.GroupResource) admission.Reader {
			for gvr, st := range s.stores {
				if gvr.GroupResource() == gr && st != nil && st.Storage() != nil {
					return st
				}
			}
			return nil
		},
		Authorizer:                   authorizer,
		Metrics:                      s.observability(),
		NotReadyTolerationSeconds:    s.cfg.DefaultNotReadyTolerationSeconds,
		UnreachableTolerationSeconds: s.cfg.DefaultUnreachableTolerationSeconds,
	}
	if st := s.stores[schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}]; st != nil {
		deps.QuotaWriter = st
	}
	chain, err := admission.NewChain(names, deps, file, func(name string) bool {
		if !slices.Contains(externalAdmissionPlugins, name) {
			slog.Warn("admission plugin not implemented by kapi; ignored", "plugin", name)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// Webhooks and admission policies come from their own packages, at upstream's
	// places in the order.
	baseDir := filepath.Dir(cfg.AdmissionControlConfigFile)
	var creds [2]*webhook.Credentials
	for i, n := range []string{"MutatingAdmissionWebhook", "ValidatingAdmissionWebhook"} {
		raw, err := file.For(n)
		if err == nil && raw != nil {
			creds[i], err = webhook.LoadCredentials(raw, baseDir)
		}
		if err != nil {
			return nil, fmt.Errorf("couldn't init admission plugin %q: %v", n, err)
		}
	}
	external := policy.BuildExternal(policy.ServerDeps{Scheme: scheme, Resources: resources,
		Store: func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] }, Authorizer: authorizer,
		MutatingCredentials: creds[0], ValidatingCredentials: creds[1], TypeConverter: types,
		WritePolicyStatus: s.controllerRuns(controlplane.ValidatingAdmissionPolicyStatus),
	}, func(n string) bool { return slices.Contains(names, n) })
	for _, p := range external {
		chain = chain.Insert(admission.NamedPlugin{Name: p.Name, Plugin: p.Plugin})
	}
	return chain, nil
}
