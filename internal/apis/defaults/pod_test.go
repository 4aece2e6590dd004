package defaults

import "testing"

func TestPodDefaults(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "minimal pod",
			in: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: c, image: nginx}]
`,
			want: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
  - name: c
    image: nginx
    imagePullPolicy: Always
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
		},
		{
			name: "explicit values are kept",
			in: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  restartPolicy: Never
  dnsPolicy: Default
  schedulerName: custom
  terminationGracePeriodSeconds: 0
  enableServiceLinks: false
  serviceAccount: old
  serviceAccountName: new
  securityContext: {runAsUser: 1000}
  containers:
  - name: c
    image: nginx:latest
    imagePullPolicy: Never
    terminationMessagePath: /tmp/msg
    terminationMessagePolicy: FallbackToLogsOnError
`,
			want: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  restartPolicy: Never
  dnsPolicy: Default
  schedulerName: custom
  terminationGracePeriodSeconds: 0
  enableServiceLinks: false
  serviceAccount: new
  serviceAccountName: new
  securityContext: {runAsUser: 1000}
  containers:
  - name: c
    image: nginx:latest
    imagePullPolicy: Never
    resources: {}
    terminationMessagePath: /tmp/msg
    terminationMessagePolicy: FallbackToLogsOnError
status: {}
`,
		},
		{
			name: "containers: ports, env, resources, probes, hooks, host network",
			in: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  hostNetwork: true
  serviceAccount: legacy
  terminationGracePeriodSeconds: -5
  initContainers:
  - name: init
    image: busybox:1.36
    resources: {limits: {memory: 64Mi}}
  containers:
  - name: app
    image: registry.example.com:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    ports:
    - containerPort: 8080
    - {containerPort: 9090, hostPort: 19090, protocol: UDP}
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: FROM_FILE
      valueFrom: {fileKeyRef: {volumeName: v, path: p, key: k}}
    - {name: PLAIN, value: x}
    resources:
      limits: {cpu: "0.0001", memory: 128Mi}
      requests: {memory: 64Mi}
    livenessProbe: {httpGet: {port: 8080}}
    readinessProbe: {grpc: {port: 9090}}
    startupProbe: {exec: {command: ["true"]}, periodSeconds: 5}
    lifecycle:
      preStop: {httpGet: {port: 8080, path: /quit}}
      postStart: {exec: {command: ["true"]}}
`,
			want: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  hostNetwork: true
  serviceAccount: legacy
  serviceAccountName: legacy
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    resources:
      limits: {memory: 64Mi}
      requests: {memory: 64Mi}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  containers:
  - name: app
    image: registry.example.com:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    imagePullPolicy: IfNotPresent
    ports:
    - {containerPort: 8080, hostPort: 8080, protocol: TCP}
    - {containerPort: 9090, hostPort: 19090, protocol: UDP}
    env:
    - name: POD_NAME
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
    - name: FROM_FILE
      valueFrom: {fileKeyRef: {volumeName: v, path: p, key: k, optional: false}}
    - {name: PLAIN, value: x}
    resources:
      limits: {cpu: 1m, memory: 128Mi}
      requests: {cpu: 1m, memory: 64Mi}
    livenessProbe:
      httpGet: {path: /, port: 8080, scheme: HTTP}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    readinessProbe:
      grpc: {port: 9090, service: ""}
      timeoutSeconds: 1
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
    startupProbe:
      exec: {command: ["true"]}
      timeoutSeconds: 1
      periodSeconds: 5
      successThreshold: 1
      failureThreshold: 3
    lifecycle:
      preStop: {httpGet: {port: 8080, path: /quit, scheme: HTTP}}
      postStart: {exec: {command: ["true"]}}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
status: {}
`,
		},
		{
			name: "volumes",
			in: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: c, image: nginx:1.27}]
  volumes:
  - name: scratch
  - {name: sec, secret: {secretName: s}}
  - {name: sec-mode, secret: {secretName: s, defaultMode: 256}}
  - {name: cm, configMap: {name: c}}
  - {name: host, hostPath: {path: /var/log}}
  - name: dapi
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
  - name: proj
    projected:
      sources:
      - serviceAccountToken: {path: token}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
  - {name: img, image: {reference: "quay.io/x/y:latest"}}
  - {name: img-pinned, image: {reference: "quay.io/x/y:v1"}}
  - {name: disk, azureDisk: {diskName: d, diskURI: u}}
  - {name: ceph, rbd: {monitors: [m], image: i}}
  - {name: iscsi, iscsi: {targetPortal: t, iqn: q, lun: 0}}
  - {name: sio, scaleIO: {gateway: g, system: s, secretRef: {name: s}}}
  - name: eph
    ephemeral:
      volumeClaimTemplate:
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`,
			want: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
  - name: c
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: sec, secret: {secretName: s, defaultMode: 420}}
  - {name: sec-mode, secret: {secretName: s, defaultMode: 256}}
  - {name: cm, configMap: {name: c, defaultMode: 420}}
  - {name: host, hostPath: {path: /var/log, type: ""}}
  - name: dapi
    downwardAPI:
      defaultMode: 420
      items: [{path: labels, fieldRef: {apiVersion: v1, fieldPath: metadata.labels}}]
  - name: proj
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - downwardAPI: {items: [{path: ns, fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}]}
  - {name: img, image: {reference: "quay.io/x/y:latest", pullPolicy: Always}}
  - {name: img-pinned, image: {reference: "quay.io/x/y:v1", pullPolicy: IfNotPresent}}
  - name: disk
    azureDisk: {diskName: d, diskURI: u, cachingMode: ReadWrite, fsType: ext4, readOnly: false, kind: Shared}
  - {name: ceph, rbd: {monitors: [m], image: i, pool: rbd, user: admin, keyring: /etc/ceph/keyring}}
  - {name: iscsi, iscsi: {targetPortal: t, iqn: q, lun: 0, iscsiInterface: default}}
  - name: sio
    scaleIO: {gateway: g, system: s, secretRef: {name: s}, storageMode: ThinProvisioned, fsType: xfs}
  - name: eph
    ephemeral:
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
          volumeMode: Filesystem
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {}
`,
		},
		{
			name: "status podIP fills podIPs",
			in: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec: {containers: [{name: c, image: nginx:1.27, imagePullPolicy: IfNotPresent}]}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.9}]}
`,
			want: `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
  - name: c
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
`,
		},
		{
			name: "pod list items are defaulted",
			in: `
apiVersion: v1
kind: PodList
items:
- metadata: {name: p}
  spec: {containers: [{name: c, image: "nginx:1.27"}]}
  status: {podIPs: [{ip: "fd00::1"}, {ip: 10.0.0.2}]}
`,
			want: `
apiVersion: v1
kind: PodList
metadata: {}
items:
- metadata: {name: p}
  spec:
    containers:
    - name: c
      image: nginx:1.27
      imagePullPolicy: IfNotPresent
      resources: {}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    enableServiceLinks: true
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {}
    terminationGracePeriodSeconds: 30
  status: {podIP: "fd00::1", podIPs: [{ip: "fd00::1"}, {ip: 10.0.0.2}]}
`,
		},
	}
	runDefaultingCases(t, cases)
}

func TestPodTemplateDefaults(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "pod template gets PodSpec defaults only",
			in: `
apiVersion: v1
kind: PodTemplate
metadata: {name: t, namespace: default}
template:
  spec:
    hostNetwork: true
    terminationGracePeriodSeconds: -1
    containers:
    - name: c
      image: nginx
      ports: [{containerPort: 80}]
      resources: {limits: {cpu: 100m}}
`,
			want: `
apiVersion: v1
kind: PodTemplate
metadata: {name: t, namespace: default}
template:
  metadata: {}
  spec:
    hostNetwork: true
    terminationGracePeriodSeconds: -1
    containers:
    - name: c
      image: nginx
      imagePullPolicy: Always
      ports: [{containerPort: 80, protocol: TCP}]
      resources: {limits: {cpu: 100m}}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {}
`,
		},
		{
			name: "replication controller takes selector and labels from its template",
			in: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: default}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
`,
			want: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: default, labels: {app: web}}
spec:
  replicas: 1
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: c
        image: nginx
        imagePullPolicy: Always
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {replicas: 0}
`,
		},
		{
			name: "replication controller keeps its own selector and labels",
			in: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: default, labels: {owner: me}}
spec:
  replicas: 0
  selector: {app: web, tier: fe}
  template:
    metadata: {labels: {app: web, tier: fe}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`,
			want: `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: default, labels: {owner: me}}
spec:
  replicas: 0
  selector: {app: web, tier: fe}
  template:
    metadata: {labels: {app: web, tier: fe}}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {replicas: 0}
`,
		},
	}
	runDefaultingCases(t, cases)
}
