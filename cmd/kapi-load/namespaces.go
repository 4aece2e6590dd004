package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// createNamespace makes a namespace named kapi-load-<what>-<run id> and remembers
// it for cleanup.
func (l *load) createNamespace(ctx context.Context, cs kubernetes.Interface, what string) (string, error) {
	name := fmt.Sprintf("kapi-load-%s-%s", what, l.runID)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{runLabel: l.runID}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating namespace %s: %w", name, err)
	}
	l.namespaces = append(l.namespaces, name)
	return name, nil
}

// ensureDefaultServiceAccount makes sure Pods can be admitted in ns: the
// ServiceAccount admission plugin needs "default". kapi's controller creates it;
// a bare kube-apiserver has no controller, so create it when it is missing.
func ensureDefaultServiceAccount(ctx context.Context, cs kubernetes.Interface, ns string) error {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the default ServiceAccount of %s: %w", ns, err)
	}
	return nil
}

// cleanup deletes the namespaces and CRDs this run created. It has its own time
// limit so that it also runs after the run's context ended.
func (l *load) cleanup() error {
	if len(l.namespaces) == 0 && len(l.crdNames) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := newClientset(l.base, true, time.Minute)
	if err != nil {
		return err
	}
	var errs []error
	for _, ns := range l.namespaces {
		err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting namespace %s: %w", ns, err))
		}
	}
	if len(l.crdNames) > 0 {
		dyn, err := newDynamic(l.base, time.Minute)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, name := range l.crdNames {
			err := dyn.Resource(crdResource).Delete(ctx, name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting CRD %s: %w", name, err))
			}
		}
	}
	fmt.Fprintf(l.log, "# deleted %d namespaces and %d CRDs (deletion finishes in the background)\n", len(l.namespaces), len(l.crdNames))
	return errors.Join(errs...)
}
