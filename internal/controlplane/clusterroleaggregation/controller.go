// Package clusterroleaggregation is kube-controller-manager's clusterrole aggregation
// controller: a ClusterRole with an aggregationRule gets, as its rules, the rules of
// every other ClusterRole its selectors match (admin, edit and view pick up the rules
// of roles labelled rbac.authorization.k8s.io/aggregate-to-*).
package clusterroleaggregation

import (
	"context"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacac "k8s.io/client-go/applyconfigurations/rbac/v1"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// FieldManager owns the aggregated rules, as upstream's controller.
const FieldManager = "clusterrole-aggregation-controller"

// Controller keeps aggregated ClusterRoles' rules current.
type Controller struct {
	// client writes as system:serviceaccount:kube-system:clusterrole-aggregation-controller.
	client rbacv1client.ClusterRolesGetter
	roles  rbaclisters.ClusterRoleLister
	synced cache.InformerSynced
	queue  *controlplane.Queue
}

// New wires the controller to the ClusterRole informer.
func New(client rbacv1client.ClusterRolesGetter, roles rbacinformers.ClusterRoleInformer) (*Controller, error) {
	c := &Controller{client: client, roles: roles.Lister(), synced: roles.Informer().HasSynced,
		queue: controlplane.NewQueue(controlplane.ClusterRoleAggregation)}
	// Any change to any ClusterRole may change any aggregate: requeue them all.
	if _, err := roles.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.enqueueAggregates() },
		UpdateFunc: func(any, any) { c.enqueueAggregates() },
		DeleteFunc: func(any) { c.enqueueAggregates() },
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Controller) enqueueAggregates() {
	all, err := c.roles.List(labels.Everything())
	if err != nil {
		return
	}
	for _, r := range all {
		if r.AggregationRule != nil {
			c.queue.Add(r.Name)
		}
	}
}

// Run works until ctx ends; it returns early only if the cache never syncs.
func (c *Controller) Run(ctx context.Context, workers int) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	c.queue.Run(ctx, workers, c.sync)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.roles.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if role.AggregationRule == nil {
		return nil
	}
	rules, err := c.aggregate(role)
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	apply := rbacac.ClusterRole(name)
	for _, r := range rules {
		pr := rbacac.PolicyRule()
		pr.Verbs, pr.APIGroups, pr.Resources, pr.ResourceNames, pr.NonResourceURLs = r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs
		apply.WithRules(pr)
	}
	_, err = c.client.ClusterRoles().Apply(ctx, apply, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	return err
}

// aggregate collects the distinct rules of the roles each selector matches, the
// roles of a selector taken in name order, the aggregate itself left out.
func (c *Controller) aggregate(role *rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	rules := []rbacv1.PolicyRule{}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil, err
		}
		matched, err := c.roles.List(sel)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(matched, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
		for _, m := range matched {
			if m.Name == role.Name {
				continue
			}
			for _, r := range m.Rules {
				if !slices.ContainsFunc(rules, func(have rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(have, r) }) {
					rules = append(rules, r)
				}
			}
		}
	}
	return rules, nil
}
