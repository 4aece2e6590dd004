// Package rootcacert is kube-controller-manager's root-ca-certificate publisher: every
// namespace gets the kube-root-ca.crt ConfigMap holding the CA bundle that verifies
// the API server, which the kube-api-access projected volume of every pod mounts.
package rootcacert

import (
	"context"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// The ConfigMap's name, key and the annotation upstream sets to describe it.
const (
	ConfigMapName         = "kube-root-ca.crt"
	DataKey               = "ca.crt"
	DescriptionAnnotation = "kubernetes.io/description"
	Description           = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// Publisher keeps kube-root-ca.crt in every active namespace equal to the bundle.
type Publisher struct {
	// client writes as system:serviceaccount:kube-system:root-ca-cert-publisher.
	client     corev1client.ConfigMapsGetter
	rootCA     string
	namespaces corelisters.NamespaceLister
	configMaps corelisters.ConfigMapLister
	synced     []cache.InformerSynced
	queue      *controlplane.Queue
}

// New wires the publisher to the shared informers; call Run after the factory
// started. rootCA is the PEM bundle to publish.
func New(client corev1client.ConfigMapsGetter, rootCA []byte, namespaces coreinformers.NamespaceInformer, configMaps coreinformers.ConfigMapInformer) (*Publisher, error) {
	p := &Publisher{
		client:     client,
		rootCA:     string(rootCA),
		namespaces: namespaces.Lister(),
		configMaps: configMaps.Lister(),
		synced:     []cache.InformerSynced{namespaces.Informer().HasSynced, configMaps.Informer().HasSynced},
		queue:      controlplane.NewQueue(controlplane.RootCACertPublisher),
	}
	if err := controlplane.QueueNamespaces(p.queue, namespaces.Informer(), configMaps.Informer(), ConfigMapName, true); err != nil {
		return nil, err
	}
	return p, nil
}

// Run works until ctx ends; it returns early only if the caches never sync.
func (p *Publisher) Run(ctx context.Context, workers int) {
	if !cache.WaitForCacheSync(ctx.Done(), p.synced...) {
		return
	}
	p.queue.Run(ctx, workers, p.sync)
}

func (p *Publisher) sync(ctx context.Context, name string) error {
	if active, err := controlplane.ActiveNamespace(p.namespaces, name); !active || err != nil {
		return err
	}
	want := map[string]string{DataKey: p.rootCA}
	cm, err := p.configMaps.ConfigMaps(name).Get(ConfigMapName)
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName, Namespace: name,
				Annotations: map[string]string{DescriptionAnnotation: Description}},
			Data: want,
		}
		_, err = p.client.ConfigMaps(name).Create(ctx, cm, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) ||
			apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if maps.Equal(cm.Data, want) && cm.Annotations[DescriptionAnnotation] != "" {
		return nil
	}
	cm = cm.DeepCopy()
	cm.Data = want
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[DescriptionAnnotation] = Description
	_, err = p.client.ConfigMaps(name).Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
