package printers

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// nodeLostReason is the pod status reason the node lifecycle controller sets when
// the node stops responding; such a pod prints as Unknown while being deleted.
const nodeLostReason = "NodeLost"

// Pod prints NAME READY STATUS RESTARTS AGE; wide: IP NODE NOMINATED NODE
// READINESS GATES.
func Pod() *registry.Table { return podTable(time.Now) }

func podTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
		column("Status", "string", "The aggregate status of the containers in this pod."),
		column("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn(),
		wide("IP", "string", corev1.PodStatus{}.SwaggerDoc()["podIP"]),
		wide("Node", "string", corev1.PodSpec{}.SwaggerDoc()["nodeName"]),
		wide("Nominated Node", "string", corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"]),
		wide("Readiness Gates", "string", corev1.PodSpec{}.SwaggerDoc()["readinessGates"]),
	}
	return typed("pods", cols, func(pod *corev1.Pod) []any {
		return podCells(now, pod)
	})
}

// isSidecar reports whether an init container keeps running beside the app
// containers (restartPolicy Always); sidecars count as containers of the pod.
func isSidecar(c *corev1.Container) bool {
	return c != nil && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// podCells computes the row the way kubectl users know it: the STATUS column is the
// most telling reason among phase, init containers, app containers and deletion.
func podCells(now clock, pod *corev1.Pod) []any {
	var (
		restarts, sidecarRestarts int
		lastRestart, sidecarLast  time.Time
		ready                     int
		total                     = len(pod.Spec.Containers)
	)
	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}

	initSpecs := make(map[string]*corev1.Container, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		initSpecs[c.Name] = c
		if isSidecar(c) {
			total++
		}
	}

	initializing := false
initLoop:
	for i := range pod.Status.InitContainerStatuses {
		st := &pod.Status.InitContainerStatuses[i]
		sidecar := isSidecar(initSpecs[st.Name])
		restarts += int(st.RestartCount)
		lastRestart = later(lastRestart, st.LastTerminationState.Terminated)
		if sidecar {
			sidecarRestarts += int(st.RestartCount)
			sidecarLast = later(sidecarLast, st.LastTerminationState.Terminated)
		}
		term, wait := st.State.Terminated, st.State.Waiting
		switch {
		case term != nil && term.ExitCode == 0:
			continue
		case sidecar && st.Started != nil && *st.Started:
			if st.Ready {
				ready++
			}
			continue
		case term != nil:
			switch {
			case term.Reason != "":
				reason = "Init:" + term.Reason
			case term.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", term.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", term.ExitCode)
			}
		case wait != nil && wait.Reason != "" && wait.Reason != "PodInitializing":
			reason = "Init:" + wait.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break initLoop
	}

	if !initializing || podInitialized(pod.Status.Conditions) {
		// Once initialized, only sidecar restarts still matter among init containers.
		restarts, lastRestart = sidecarRestarts, sidecarLast
		running := false
		errorReason := ""
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			st := &pod.Status.ContainerStatuses[i]
			restarts += int(st.RestartCount)
			lastRestart = later(lastRestart, st.LastTerminationState.Terminated)
			switch term := st.State.Terminated; {
			case st.State.Waiting != nil && st.State.Waiting.Reason != "":
				reason = st.State.Waiting.Reason
			case term != nil:
				switch {
				case term.Reason != "":
					reason = term.Reason
				case term.Signal != 0:
					reason = fmt.Sprintf("Signal:%d", term.Signal)
				default:
					reason = fmt.Sprintf("ExitCode:%d", term.ExitCode)
				}
				if term.ExitCode != 0 {
					errorReason = reason
				}
			case st.Ready && st.State.Running != nil:
				running = true
				ready++
			}
		}
		// A pod whose last-listed container completed is still Running while
		// another container runs.
		if reason == "Completed" {
			switch {
			case running && podReady(pod.Status.Conditions):
				reason = "Running"
			case errorReason != "":
				reason = errorReason
			case running:
				reason = "NotReady"
			}
		}
	}

	if pod.DeletionTimestamp != nil {
		switch {
		case pod.Status.Reason == nodeLostReason:
			reason = "Unknown"
		case pod.Status.Phase != corev1.PodFailed && pod.Status.Phase != corev1.PodSucceeded:
			reason = "Terminating"
		}
	}

	restartsCell := strconv.Itoa(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		restartsCell = fmt.Sprintf("%d (%s ago)", restarts, since(now, metav1.NewTime(lastRestart)))
	}

	return []any{
		pod.Name,
		fmt.Sprintf("%d/%d", ready, total),
		reason,
		restartsCell,
		since(now, pod.CreationTimestamp),
		orNone(podIP(&pod.Status)),
		orNone(pod.Spec.NodeName),
		orNone(pod.Status.NominatedNodeName),
		readinessGates(pod),
	}
}

// later returns the later of t and the finish time of a terminated state.
func later(t time.Time, term *corev1.ContainerStateTerminated) time.Time {
	if term != nil && t.Before(term.FinishedAt.Time) {
		return term.FinishedAt.Time
	}
	return t
}

// podIP is the primary pod IP. Defaulting keeps status.podIP equal to the first
// entry of status.podIPs, which is the one upstream reads.
func podIP(st *corev1.PodStatus) string {
	if len(st.PodIPs) > 0 {
		return st.PodIPs[0].IP
	}
	return ""
}

// readinessGates prints how many readiness gates are met, "<none>" without gates.
func readinessGates(pod *corev1.Pod) string {
	if len(pod.Spec.ReadinessGates) == 0 {
		return none
	}
	met := 0
	for _, g := range pod.Spec.ReadinessGates {
		for _, c := range pod.Status.Conditions {
			if c.Type == g.ConditionType {
				if c.Status == corev1.ConditionTrue {
					met++
				}
				break
			}
		}
	}
	return fmt.Sprintf("%d/%d", met, len(pod.Spec.ReadinessGates))
}

func podReady(conds []corev1.PodCondition) bool {
	for _, c := range conds {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// podInitialized looks only at the first Initialized condition, as upstream does.
func podInitialized(conds []corev1.PodCondition) bool {
	for _, c := range conds {
		if c.Type == corev1.PodInitialized {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// orNone substitutes the "<none>" placeholder for an empty string.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}
