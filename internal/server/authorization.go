package server

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/authz/authzconfig"
	"github.com/kapi-dev/kapi/internal/authz/node"
	"github.com/kapi-dev/kapi/internal/authz/rbac"
	"github.com/kapi-dev/kapi/internal/authz/webhook"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

// newAuthorizer builds the authorization chain from --authorization-config or from
// --authorization-mode, behind the system:masters authorizer that upstream always puts
// first.
func (s *Server) newAuthorizer() (authz.Authorizer, error) {
	cfg := s.cfg
	if cfg.AuthorizationConfigFile != "" {
		if len(cfg.AuthorizationModes) > 0 || cfg.WebhookConfigFile != "" {
			return nil, fmt.Errorf("--authorization-config can not be specified when --authorization-mode or --authorization-webhook-config-file is specified")
		}
		c, err := authzconfig.Load(cfg.AuthorizationConfigFile)
		if err != nil {
			return nil, fmt.Errorf("--authorization-config: %w", err)
		}
		// A reload may add RBAC or Node, so their indexes run from the start.
		s.rbacIndex = rbac.NewIndex()
		s.nodeAuthorizer = node.New(s.nodeSources)
		chain, err := s.authorizersFrom(c.Authorizers)
		if err != nil {
			return nil, err
		}
		r := &reloadingAuthorizer{}
		r.current.Store(&chain)
		s.authzReloader = func(ctx context.Context) { s.reloadAuthorizationConfig(ctx, r) }
		return r, nil
	}
	modes := cfg.AuthorizationModes
	if len(modes) == 0 {
		// The modes of a cluster set up by kubeadm (and of the reference captures), not
		// upstream's AlwaysAllow flag default: kapi is safe to expose as it starts.
		modes = []string{"Node", "RBAC"}
	}
	var entries []authzconfig.Authorizer
	seen := map[string]bool{}
	for _, m := range modes {
		if seen[m] {
			return nil, fmt.Errorf("authorization-mode %q has mode specified more than once", m)
		}
		seen[m] = true
		e := authzconfig.Authorizer{Type: m, Name: strings.ToLower(m)}
		if m == "Webhook" {
			if cfg.WebhookConfigFile == "" {
				return nil, fmt.Errorf("authorization-mode Webhook's authorization config file not passed")
			}
			e.Webhook = &authzconfig.Webhook{
				SubjectAccessReviewVersion: cfg.WebhookVersion, FailurePolicy: "NoOpinion",
				AuthorizedTTL:   metav1.Duration{Duration: cfg.WebhookAuthorizedTTL},
				UnauthorizedTTL: metav1.Duration{Duration: cfg.WebhookUnauthorizedTTL},
				ConnectionInfo:  authzconfig.ConnectionInfo{Type: "KubeConfigFile", KubeConfigFile: cfg.WebhookConfigFile},
			}
		}
		entries = append(entries, e)
	}
	if cfg.WebhookConfigFile != "" && !seen["Webhook"] {
		return nil, fmt.Errorf("cannot specify --authorization-webhook-config-file without mode Webhook")
	}
	return s.authorizersFrom(entries)
}

// authorizersFrom builds the chain of the configured authorizers.
func (s *Server) authorizersFrom(entries []authzconfig.Authorizer) (authz.Union, error) {
	u := authz.Union{authz.Privileged{}}
	for _, e := range entries {
		switch e.Type {
		case "AlwaysAllow":
			u = append(u, authz.AlwaysAllow{})
		case "AlwaysDeny":
			u = append(u, authz.AlwaysDeny{})
		case "RBAC":
			if s.rbacIndex == nil {
				s.rbacIndex = rbac.NewIndex()
			}
			u = append(u, rbac.New(s.rbacIndex))
		case "Node":
			if s.nodeAuthorizer == nil {
				s.nodeAuthorizer = node.New(s.nodeSources)
			}
			u = append(u, s.nodeAuthorizer)
		case "Webhook":
			authorized, unauthorized := e.Webhook.TTLs()
			w, err := webhook.New(webhook.Config{
				KubeconfigFile: e.Webhook.ConnectionInfo.KubeConfigFile, Version: e.Webhook.SubjectAccessReviewVersion,
				AuthorizedTTL: authorized, UnauthorizedTTL: unauthorized, Timeout: e.Webhook.Timeout.Duration,
				DenyOnError: e.Webhook.FailurePolicy == "Deny", MatchConditions: e.Webhook.Expressions(),
			})
			if err != nil {
				return nil, err
			}
			u = append(u, w)
		default:
			return nil, fmt.Errorf("authorization-mode %q is not a valid mode", e.Type)
		}
	}
	return u, nil
}

// nodeSources hands the Node authorizer the stores it traces relationships in.
func (s *Server) nodeSources() node.Sources {
	core := schema.GroupVersion{Version: "v1"}
	return node.Sources{
		Pods:                   s.stores[core.WithResource("pods")],
		PersistentVolumeClaims: s.stores[core.WithResource("persistentvolumeclaims")],
		PersistentVolumes:      s.stores[core.WithResource("persistentvolumes")],
		VolumeAttachments:      s.stores[schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "volumeattachments"}],
		ResourceSlices:         s.stores[schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "resourceslices"}],
		PodCertificateRequests: s.stores[schema.GroupVersionResource{Group: "certificates.k8s.io", Version: "v1", Resource: "podcertificaterequests"}],
	}
}

// rbacRules is what RBAC's escalation checks resolve rules with; nil without RBAC.
func (s *Server) rbacRules() builtin.RBACRules {
	if s.rbacIndex == nil {
		return nil
	}
	return rbac.New(s.rbacIndex)
}

var rbacGroup = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}

// startRBAC feeds the RBAC index from the stores and waits until it holds every
// object, so that the first authorized request sees the whole policy.
func (s *Server) startRBAC(ctx, waitCtx context.Context) error {
	if s.rbacIndex == nil {
		return nil
	}
	s.rbacIndex.Run(ctx, rbac.Sources{
		Roles:               s.stores[rbacGroup.WithResource("roles")],
		RoleBindings:        s.stores[rbacGroup.WithResource("rolebindings")],
		ClusterRoles:        s.stores[rbacGroup.WithResource("clusterroles")],
		ClusterRoleBindings: s.stores[rbacGroup.WithResource("clusterrolebindings")],
	})
	return s.rbacIndex.WaitForSync(waitCtx)
}
