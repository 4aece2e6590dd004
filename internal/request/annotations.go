package request

import (
	"context"
	"maps"
	"sync"
)

type annotationsKey struct{}

// auditAnnotations collects what a request's audit events record beside the request:
// the authorization decision and its reason, admission plugins' notes.
type auditAnnotations struct {
	mu sync.Mutex
	m  map[string]string
}

// WithAuditAnnotations returns a context that collects audit annotations.
func WithAuditAnnotations(ctx context.Context) context.Context {
	return context.WithValue(ctx, annotationsKey{}, &auditAnnotations{m: map[string]string{}})
}

// AddAuditAnnotation records key=value for the request's audit events; the first value
// of a key stays, as upstream. Without a collector it does nothing.
func AddAuditAnnotation(ctx context.Context, key, value string) {
	a, ok := ctx.Value(annotationsKey{}).(*auditAnnotations)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, exists := a.m[key]; !exists {
		a.m[key] = value
	}
}

// AuditAnnotationsFrom returns a copy of the request's audit annotations.
func AuditAnnotationsFrom(ctx context.Context) map[string]string {
	a, ok := ctx.Value(annotationsKey{}).(*auditAnnotations)
	if !ok {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.m)
}
