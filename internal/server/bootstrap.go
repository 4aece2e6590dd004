package server

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// systemNamespaces exist in every cluster; kube-apiserver creates them at start.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// ensureNamespaces creates the system namespaces that are missing, retrying while
// etcd is still settling.
func ensureNamespaces(ctx context.Context, namespaces *registry.Store) error {
	for _, name := range systemNamespaces {
		var err error
		for attempt := 0; attempt < 20; attempt++ {
			if _, err = namespaces.Get(ctx, "", name, &metav1.GetOptions{}); err == nil {
				break
			}
			if apierrors.IsNotFound(err) {
				ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
				if _, err = namespaces.Create(ctx, "", ns, nil, nil, false); err == nil || apierrors.IsAlreadyExists(err) {
					err = nil
					break
				}
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err != nil {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	return nil
}
