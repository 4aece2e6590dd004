package server

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/authz/authzconfig"
	"github.com/kapi-dev/kapi/internal/request"
)

// reloadingAuthorizer is the chain of --authorization-config, swapped whole when the
// file changes.
type reloadingAuthorizer struct {
	current atomic.Pointer[authz.Union]
}

// Authorize implements authz.Authorizer.
func (r *reloadingAuthorizer) Authorize(ctx context.Context, a authz.Attributes) (authz.Decision, string, error) {
	return r.current.Load().Authorize(ctx, a)
}

// RulesFor implements authz.RuleResolver.
func (r *reloadingAuthorizer) RulesFor(ctx context.Context, u *request.User, ns string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return r.current.Load().RulesFor(ctx, u, ns)
}

// defaultAuthorizationConfigReload is how often the file is checked, as upstream's
// one-minute reload.
const defaultAuthorizationConfigReload = time.Minute

// reloadAuthorizationConfig checks the file until ctx ends and installs a new chain
// when its content changes; an invalid file keeps the running chain.
func (s *Server) reloadAuthorizationConfig(ctx context.Context, r *reloadingAuthorizer) {
	path := s.cfg.AuthorizationConfigFile
	interval := s.cfg.AuthorizationConfigReloadInterval
	if interval <= 0 {
		interval = defaultAuthorizationConfigReload
	}
	last, _ := os.ReadFile(path)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := os.ReadFile(path)
		if err != nil || bytes.Equal(data, last) {
			continue
		}
		last = data
		c, err := authzconfig.Parse(data)
		if err != nil {
			slog.Error("authorization config reload failed; keeping the running configuration", "file", path, "err", err)
			continue
		}
		chain, err := s.authorizersFrom(c.Authorizers)
		if err != nil {
			slog.Error("authorization config reload failed; keeping the running configuration", "file", path, "err", err)
			continue
		}
		r.current.Store(&chain)
		slog.Info("authorization config reloaded", "file", path)
	}
}
