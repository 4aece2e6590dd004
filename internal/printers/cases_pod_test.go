package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pod fixtures: the STATUS, READY and RESTARTS cells carry most of the printer's
// logic, so they get the most cases. See cases_test.go.

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(time.Hour)}}
}

func waiting(reason string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
}

func terminated(reason string, exit, signal int32) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: exit, Signal: signal}}
}

// lastTerminated is a LastTerminationState that finished d ago.
func lastTerminated(d time.Duration) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: ago(d)}}
}

func podCases() []rowCase {
	sidecar := corev1.ContainerRestartPolicyAlways
	initSpec := func(n int) corev1.PodSpec {
		return corev1.PodSpec{InitContainers: containers("init-a", "init-b")[:n], Containers: containers("app")}
	}
	return []rowCase{
		{
			name: "running and ready", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("web-1", 5*time.Minute),
				Spec:       corev1.PodSpec{NodeName: "node-1", Containers: containers("app", "proxy")},
				Status: corev1.PodStatus{
					Phase: corev1.PodRunning, PodIP: "10.244.0.5", PodIPs: []corev1.PodIP{{IP: "10.244.0.5"}, {IP: "fd00::5"}},
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "app", Ready: true, State: running()},
						{Name: "proxy", Ready: true, State: running()},
					},
				},
			},
			want: []any{"web-1", "2/2", "Running", "0", "5m", "10.244.0.5", "node-1", "<none>", "<none>"},
		},
		{
			name: "restarts show the last restart", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("web-2", 3*time.Hour),
				Spec:       corev1.PodSpec{NodeName: "node-1", Containers: containers("app", "proxy")},
				Status: corev1.PodStatus{
					Phase: corev1.PodRunning, PodIP: "10.244.0.6", PodIPs: []corev1.PodIP{{IP: "10.244.0.6"}},
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "app", Ready: true, State: running(), RestartCount: 3, LastTerminationState: lastTerminated(90 * time.Second)},
						{Name: "proxy", Ready: false, State: running(), RestartCount: 1, LastTerminationState: lastTerminated(time.Hour)},
					},
				},
			},
			want: []any{"web-2", "1/2", "Running", "4 (90s ago)", "3h", "10.244.0.6", "node-1", "<none>", "<none>"},
		},
		{
			name: "crash loop", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("crashy", 26*time.Hour),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status: corev1.PodStatus{
					Phase: corev1.PodRunning,
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "app", State: waiting("CrashLoopBackOff"), RestartCount: 12, LastTerminationState: lastTerminated(4*time.Minute + 30*time.Second)},
					},
				},
			},
			want: []any{"crashy", "0/1", "CrashLoopBackOff", "12 (4m30s ago)", "26h", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "second init container running", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("init-1", 30*time.Second),
				Spec:       initSpec(2),
				Status: corev1.PodStatus{
					Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{
						{Name: "init-a", State: terminated("Completed", 0, 0)},
						{Name: "init-b", State: running()},
					},
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: waiting("PodInitializing")}},
				},
			},
			want: []any{"init-1", "0/1", "Init:1/2", "0", "30s", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container crash loop", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("init-2", 10*time.Minute),
				Spec:       initSpec(1),
				Status: corev1.PodStatus{
					Phase: corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{
						{Name: "init-a", State: waiting("CrashLoopBackOff"), RestartCount: 4, LastTerminationState: lastTerminated(2 * time.Minute)},
					},
				},
			},
			want: []any{"init-2", "0/1", "Init:CrashLoopBackOff", "4 (2m ago)", "10m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container killed by signal", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("init-3", 10*time.Minute),
				Spec:       initSpec(1),
				Status: corev1.PodStatus{
					Phase:                 corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-a", State: terminated("", 137, 9)}},
				},
			},
			want: []any{"init-3", "0/1", "Init:Signal:9", "0", "10m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "init container exit code", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("init-4", 10*time.Minute),
				Spec:       initSpec(1),
				Status: corev1.PodStatus{
					Phase:                 corev1.PodPending,
					InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-a", State: terminated("", 2, 0)}},
				},
			},
			want: []any{"init-4", "0/1", "Init:ExitCode:2", "0", "10m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "started sidecar counts as a container", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("sidecar", 2*time.Hour),
				Spec: corev1.PodSpec{
					InitContainers: []corev1.Container{{Name: "mesh", Image: "mesh:1", RestartPolicy: &sidecar}},
					Containers:     containers("app"),
				},
				Status: corev1.PodStatus{
					Phase:      corev1.PodRunning,
					Conditions: []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}},
					InitContainerStatuses: []corev1.ContainerStatus{
						{Name: "mesh", Ready: true, Started: boolp(true), State: running(), RestartCount: 1, LastTerminationState: lastTerminated(20 * time.Minute)},
					},
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: running()}},
				},
			},
			want: []any{"sidecar", "2/2", "Running", "1 (20m ago)", "120m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "terminating", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: terminating(om("leaving", 5*time.Minute)),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status: corev1.PodStatus{
					Phase:             corev1.PodRunning,
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: running()}},
				},
			},
			want: []any{"leaving", "1/1", "Terminating", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "deleted on a lost node", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: terminating(om("lost", 5*time.Minute)),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status:     corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost"},
			},
			want: []any{"lost", "0/1", "Unknown", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "succeeded pod being deleted stays Completed", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: terminating(om("job-x", 5*time.Minute)),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status: corev1.PodStatus{
					Phase:             corev1.PodSucceeded,
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: terminated("Completed", 0, 0)}},
				},
			},
			want: []any{"job-x", "0/1", "Completed", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "completed container beside a running one is NotReady", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("half", 5*time.Minute),
				Spec:       corev1.PodSpec{Containers: containers("server", "setup")},
				Status: corev1.PodStatus{
					Phase: corev1.PodRunning,
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "server", Ready: true, State: running()},
						{Name: "setup", State: terminated("Completed", 0, 0)},
					},
				},
			},
			want: []any{"half", "1/2", "NotReady", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "completed container beside a running one in a ready pod is Running", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("half-ready", 5*time.Minute),
				Spec:       corev1.PodSpec{Containers: containers("server", "setup")},
				Status: corev1.PodStatus{
					Phase:      corev1.PodRunning,
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "server", Ready: true, State: running()},
						{Name: "setup", State: terminated("Completed", 0, 0)},
					},
				},
			},
			want: []any{"half-ready", "1/2", "Running", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "a failed container outranks a completed one", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("failed", 5*time.Minute),
				Spec:       corev1.PodSpec{Containers: containers("first", "second")},
				Status: corev1.PodStatus{
					Phase: corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{
						{Name: "first", State: terminated("Completed", 0, 0)},
						{Name: "second", State: terminated("Error", 2, 0)},
					},
				},
			},
			want: []any{"failed", "0/2", "Error", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "container killed by signal", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("killed", 5*time.Minute),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status: corev1.PodStatus{
					Phase:             corev1.PodFailed,
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: terminated("", 143, 15)}},
				},
			},
			want: []any{"killed", "0/1", "Signal:15", "0", "5m", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "evicted", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("evicted", 8*24*time.Hour),
				Spec:       corev1.PodSpec{NodeName: "node-2", Containers: containers("app")},
				Status:     corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"},
			},
			want: []any{"evicted", "0/1", "Evicted", "0", "8d", "<none>", "node-2", "<none>", "<none>"},
		},
		{
			name: "scheduling gated", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("gated", time.Minute),
				Spec:       corev1.PodSpec{Containers: containers("app")},
				Status: corev1.PodStatus{
					Phase:      corev1.PodPending,
					Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}},
				},
			},
			want: []any{"gated", "0/1", "SchedulingGated", "0", "60s", "<none>", "<none>", "<none>", "<none>"},
		},
		{
			name: "nominated node and readiness gates", resource: "pods",
			obj: &corev1.Pod{
				ObjectMeta: om("gates", time.Minute),
				Spec: corev1.PodSpec{
					Containers:     containers("app"),
					ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/dns"}},
				},
				Status: corev1.PodStatus{
					Phase:             corev1.PodPending,
					NominatedNodeName: "node-3",
					Conditions: []corev1.PodCondition{
						{Type: "example.com/lb", Status: corev1.ConditionTrue},
						{Type: "example.com/dns", Status: corev1.ConditionFalse},
					},
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: waiting("ImagePullBackOff")}},
				},
			},
			want: []any{"gates", "0/1", "ImagePullBackOff", "0", "60s", "<none>", "<none>", "node-3", "1/2"},
		},
	}
}
