package defaults

import "testing"

// defaultedTemplateSpec is the pod template spec every workload case below
// expects: PodSpec defaults only, no enableServiceLinks.
const defaultedTemplateSpec = `
    spec:
      containers:
      - name: c
        image: nginx
        imagePullPolicy: Always
        resources: {limits: {cpu: 100m}}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
`

const minimalTemplate = `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx, resources: {limits: {cpu: 100m}}}]}
`

const defaultedTemplate = `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}` + defaultedTemplateSpec

func TestAppsDefaults(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "minimal deployment",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
status: {}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}` + defaultedTemplate,
		},
		{
			name: "recreate deployment gets no rolling update parameters",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 0\n  strategy: {type: Recreate}" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
status: {}
spec:
  replicas: 0
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy: {type: Recreate}` + defaultedTemplate,
		},
		{
			name: "deployment keeps a partial rolling update",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  strategy: {rollingUpdate: {maxSurge: 1}}" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
status: {}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}` + defaultedTemplate,
		},
		{
			name: "replica set",
			in:   "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web, namespace: default}\nspec:" + minimalTemplate,
			want: "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web, namespace: default}\nstatus: {replicas: 0}\nspec:\n  replicas: 1" + defaultedTemplate,
		},
		{
			name: "minimal stateful set with a claim template",
			in: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: default}\nspec:" + minimalTemplate + `
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`,
			want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
status: {replicas: 0, availableReplicas: 0}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  podManagementPolicy: OrderedReady
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: 0, maxUnavailable: 1}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
      volumeMode: Filesystem
    status: {phase: Pending}` + defaultedTemplate,
		},
		{
			name: "stateful set with explicit rolling update type gets no parameters",
			in:   "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: default}\nspec:\n  updateStrategy: {type: RollingUpdate}\n  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}\n  podManagementPolicy: Parallel" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
status: {replicas: 0, availableReplicas: 0}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  podManagementPolicy: Parallel
  updateStrategy: {type: RollingUpdate}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}` + defaultedTemplate,
		},
		{
			name: "stateful set with on delete strategy",
			in:   "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: default}\nspec:\n  updateStrategy: {type: OnDelete}" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
status: {replicas: 0, availableReplicas: 0}
spec:
  replicas: 1
  revisionHistoryLimit: 10
  podManagementPolicy: OrderedReady
  updateStrategy: {type: OnDelete}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}` + defaultedTemplate,
		},
		{
			name: "minimal daemon set",
			in:   "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec:" + minimalTemplate,
			want: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
status: {currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0}
spec:
  revisionHistoryLimit: 10
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 0, maxUnavailable: 1}` + defaultedTemplate,
		},
		{
			name: "deployment list items are defaulted",
			in:   "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: web}\n  spec: {strategy: {type: Recreate}, template: {spec: {containers: [{name: c, image: nginx}]}}}\n",
			want: `
apiVersion: apps/v1
kind: DeploymentList
metadata: {}
items:
- metadata: {name: web}
  status: {}
  spec:
    replicas: 1
    revisionHistoryLimit: 10
    progressDeadlineSeconds: 600
    strategy: {type: Recreate}
    template:
      metadata: {}
      spec:
        containers:
        - {name: c, image: nginx, imagePullPolicy: Always, resources: {}, terminationMessagePath: /dev/termination-log, terminationMessagePolicy: File}
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        securityContext: {}
        terminationGracePeriodSeconds: 30
`,
		},
	}
	runDefaultingCases(t, cases)
}
