package flowcontrol

import (
	"context"
	"fmt"
	"log/slog"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/request"
)

// statusWriter is the loopback identity status updates are made as.
var statusWriter = &request.User{Name: "system:apiserver", Groups: []string{"system:masters", "system:authenticated"}}

// danglingCondition is the Dangling condition fs should carry given whether its
// priority level exists, worded as upstream.
func danglingCondition(fs *flowcontrolv1.FlowSchema, levelExists bool) flowcontrolv1.FlowSchemaCondition {
	name := fs.Spec.PriorityLevelConfiguration.Name
	if levelExists {
		return flowcontrolv1.FlowSchemaCondition{Type: flowcontrolv1.FlowSchemaConditionDangling, Status: flowcontrolv1.ConditionFalse, Reason: "Found",
			Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q and it exists", name)}
	}
	return flowcontrolv1.FlowSchemaCondition{Type: flowcontrolv1.FlowSchemaConditionDangling, Status: flowcontrolv1.ConditionTrue, Reason: "NotFound",
		Message: fmt.Sprintf("This FlowSchema references the PriorityLevelConfiguration object named %q but there is no such object", name)}
}

// needsCondition reports whether fs lacks want (ignoring the transition time).
func needsCondition(fs *flowcontrolv1.FlowSchema, want flowcontrolv1.FlowSchemaCondition) bool {
	for _, c := range fs.Status.Conditions {
		if c.Type == want.Type {
			return c.Status != want.Status || c.Reason != want.Reason || c.Message != want.Message
		}
	}
	return true
}

// syncStatus writes the Dangling condition of every FlowSchema whose condition is
// not what its reference says. Failures are retried at the next change.
// statusManager owns the Dangling conditions, as upstream's configuration consumer
// (which applies them; kapi records an update).
const statusManager = "api-priority-and-fairness-config-consumer-v1"

func (c *Controller) syncStatus(ctx context.Context) {
	if c.cfg.FlowSchemas == nil {
		return
	}
	type update struct {
		name string
		want flowcontrolv1.FlowSchemaCondition
	}
	var updates []update
	c.mu.Lock()
	for _, fs := range c.fss {
		_, exists := c.pls[fs.Spec.PriorityLevelConfiguration.Name]
		if want := danglingCondition(fs, exists); needsCondition(fs, want) {
			updates = append(updates, update{fs.Name, want})
		}
	}
	c.mu.Unlock()
	ctx = request.WithUser(ctx, statusWriter)
	for _, u := range updates {
		_, _, err := c.cfg.FlowSchemas.Update(ctx, "", u.name, "status", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			fs, ok := cur.(*flowcontrolv1.FlowSchema)
			if !ok || fs == nil {
				return nil, apierrors.NewNotFound(flowcontrolv1.Resource("flowschemas"), u.name)
			}
			if !needsCondition(fs, u.want) {
				return fs, nil
			}
			setCondition(fs, u.want)
			return fs, nil
		}, c.cfg.FlowSchemas.ManagedBy(statusManager, "status"), nil, false, false)
		if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
			slog.Warn("flowcontrol: updating FlowSchema status", "name", u.name, "err", err)
		}
	}
}

func setCondition(fs *flowcontrolv1.FlowSchema, want flowcontrolv1.FlowSchemaCondition) {
	want.LastTransitionTime = metav1.Now()
	for i, c := range fs.Status.Conditions {
		if c.Type == want.Type {
			fs.Status.Conditions[i] = want
			return
		}
	}
	fs.Status.Conditions = append(fs.Status.Conditions, want)
}
