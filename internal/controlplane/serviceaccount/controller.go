// Package serviceaccount is kube-controller-manager's serviceaccount controller: every
// active namespace gets a "default" ServiceAccount, recreated when deleted, so that
// the ServiceAccount admission plugin admits pods that name no account.
package serviceaccount

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// DefaultName is the account every namespace gets.
const DefaultName = "default"

// Controller ensures the default ServiceAccount in every active namespace.
type Controller struct {
	// client writes as system:serviceaccount:kube-system:service-account-controller.
	client     corev1client.ServiceAccountsGetter
	namespaces corelisters.NamespaceLister
	accounts   corelisters.ServiceAccountLister
	synced     []cache.InformerSynced
	queue      *controlplane.Queue
}

// New wires the controller to the shared informers; call Run after the factory
// started.
func New(client corev1client.ServiceAccountsGetter, namespaces coreinformers.NamespaceInformer, accounts coreinformers.ServiceAccountInformer) (*Controller, error) {
	c := &Controller{
		client:     client,
		namespaces: namespaces.Lister(),
		accounts:   accounts.Lister(),
		synced:     []cache.InformerSynced{namespaces.Informer().HasSynced, accounts.Informer().HasSynced},
		queue:      controlplane.NewQueue(controlplane.ServiceAccount),
	}
	if err := controlplane.QueueNamespaces(c.queue, namespaces.Informer(), accounts.Informer(), DefaultName, false); err != nil {
		return nil, err
	}
	return c, nil
}

// Run works until ctx ends; it returns early only if the caches never sync.
func (c *Controller) Run(ctx context.Context, workers int) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.queue.Run(ctx, workers, c.sync)
}

// sync creates the default account of one namespace when it is missing.
func (c *Controller) sync(ctx context.Context, name string) error {
	if active, err := controlplane.ActiveNamespace(c.namespaces, name); !active || err != nil {
		return err // nothing is created in a missing or terminating namespace
	}
	if _, err := c.accounts.ServiceAccounts(name).Get(DefaultName); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultName, Namespace: name}}
	_, err := c.client.ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err), apierrors.IsNotFound(err),
		apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return nil
	}
	return err
}
