package defaults

import "testing"

func TestServiceDefaults(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "cluster IP service with one port",
			in: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
			want: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
  sessionAffinity: None
  type: ClusterIP
  internalTrafficPolicy: Cluster
status: {loadBalancer: {}}
`,
		},
		{
			name: "node port service keeps a named target port",
			in: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  ports: [{name: http, port: 80, targetPort: http}, {name: dns, port: 53, protocol: UDP, targetPort: 5353}]
`,
			want: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
  - {name: dns, port: 53, protocol: UDP, targetPort: 5353}
  sessionAffinity: None
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
status: {loadBalancer: {}}
`,
		},
		{
			name: "load balancer with client IP affinity",
			in: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  sessionAffinity: ClientIP
  externalTrafficPolicy: Local
  ports: [{port: 443}]
status:
  loadBalancer:
    ingress: [{ip: 1.2.3.4}, {hostname: lb.example.com}, {ip: 5.6.7.8, ipMode: Proxy}]
`,
			want: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}
  externalTrafficPolicy: Local
  internalTrafficPolicy: Cluster
  allocateLoadBalancerNodePorts: true
  ports: [{port: 443, protocol: TCP, targetPort: 443}]
status:
  loadBalancer:
    ingress: [{ip: 1.2.3.4, ipMode: VIP}, {hostname: lb.example.com}, {ip: 5.6.7.8, ipMode: Proxy}]
`,
		},
		{
			name: "external name service drops affinity config and gets no traffic policies",
			in: `
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  type: ExternalName
  externalName: example.com
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
`,
			want: `
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  type: ExternalName
  externalName: example.com
  sessionAffinity: None
status: {loadBalancer: {}}
`,
		},
		{
			name: "cluster IP service with external IPs is externally accessible",
			in: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  externalIPs: [192.0.2.10]
  internalTrafficPolicy: Local
  ports: [{port: 80, targetPort: 0}]
`,
			want: `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: ClusterIP
  externalIPs: [192.0.2.10]
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Local
  sessionAffinity: None
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
status: {loadBalancer: {}}
`,
		},
	}
	runDefaultingCases(t, cases)
}

func TestCoreObjectDefaults(t *testing.T) {
	cases := []defaultingCase{
		{
			name: "namespace gets its name label and Active phase",
			in: `
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {env: dev, kubernetes.io/metadata.name: spoofed}}
`,
			want: `
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {env: dev, kubernetes.io/metadata.name: team-a}}
spec: {}
status: {phase: Active}
`,
		},
		{
			name: "namespace without a name gets no label",
			in: `
apiVersion: v1
kind: Namespace
metadata: {generateName: team-}
status: {phase: Terminating}
`,
			want: `
apiVersion: v1
kind: Namespace
metadata: {generateName: team-}
spec: {}
status: {phase: Terminating}
`,
		},
		{
			name: "config map data is kept",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {k: v}\n",
			want: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {k: v}\n",
		},
		{
			name: "secret is Opaque",
			in:   "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {k: v}\n",
			want: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {k: v}\ntype: Opaque\n",
		},
		{
			name: "secret keeps its type",
			in:   "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ntype: kubernetes.io/tls\n",
			want: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ntype: kubernetes.io/tls\n",
		},
		{
			name: "endpoints ports are TCP",
			in: `
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets:
- addresses: [{ip: 10.0.0.1}]
  ports: [{port: 80}, {port: 53, protocol: UDP}]
`,
			want: `
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets:
- addresses: [{ip: 10.0.0.1}]
  ports: [{port: 80, protocol: TCP}, {port: 53, protocol: UDP}]
`,
		},
		{
			name: "node allocatable defaults to capacity",
			in: `
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`,
			want: `
apiVersion: v1
kind: Node
metadata: {name: n1}
spec: {}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
`,
		},
		{
			name: "limit range derives container defaults from max, default and min",
			in: `
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: default}
spec:
  limits:
  - type: Container
    max: {cpu: "2"}
    min: {memory: 10Mi, cpu: 50m}
    default: {memory: 100Mi}
  - type: Pod
    max: {cpu: "4"}
`,
			want: `
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: default}
spec:
  limits:
  - type: Container
    max: {cpu: "2"}
    min: {memory: 10Mi, cpu: 50m}
    default: {cpu: "2", memory: 100Mi}
    defaultRequest: {cpu: "2", memory: 100Mi}
  - type: Pod
    max: {cpu: "4"}
`,
		},
		{
			name: "resource quota rounds up to millis",
			in: `
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: default}
spec: {hard: {cpu: "0.0005", pods: "10"}}
status: {used: {cpu: "1.0001"}}
`,
			want: `
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: default}
spec: {hard: {cpu: 1m, pods: "10"}}
status: {used: {cpu: 1001m}}
`,
		},
		{
			name: "host path persistent volume",
			in: `
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv}
spec: {capacity: {storage: 10Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}
`,
			want: `
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data, type: ""}
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
status: {phase: Pending}
`,
		},
		{
			name: "persistent volume sources with declarative defaults",
			in: `
apiVersion: v1
kind: PersistentVolumeList
items:
- metadata: {name: rbd}
  spec: {persistentVolumeReclaimPolicy: Delete, volumeMode: Block, rbd: {monitors: [m], image: i}}
- metadata: {name: iscsi}
  spec: {iscsi: {targetPortal: t, iqn: q, lun: 1}}
- metadata: {name: sio}
  spec: {scaleIO: {gateway: g, system: s, secretRef: {name: s}}}
- metadata: {name: azure}
  spec: {azureDisk: {diskName: d, diskURI: u, kind: Managed}}
`,
			want: `
apiVersion: v1
kind: PersistentVolumeList
metadata: {}
items:
- metadata: {name: rbd}
  spec:
    persistentVolumeReclaimPolicy: Delete
    volumeMode: Block
    rbd: {monitors: [m], image: i, pool: rbd, user: admin, keyring: /etc/ceph/keyring}
  status: {phase: Pending}
- metadata: {name: iscsi}
  spec:
    iscsi: {targetPortal: t, iqn: q, lun: 1, iscsiInterface: default}
    persistentVolumeReclaimPolicy: Retain
    volumeMode: Filesystem
  status: {phase: Pending}
- metadata: {name: sio}
  spec:
    scaleIO: {gateway: g, system: s, secretRef: {name: s}, storageMode: ThinProvisioned, fsType: xfs}
    persistentVolumeReclaimPolicy: Retain
    volumeMode: Filesystem
  status: {phase: Pending}
- metadata: {name: azure}
  spec:
    azureDisk: {diskName: d, diskURI: u, kind: Managed, cachingMode: ReadWrite, fsType: ext4, readOnly: false}
    persistentVolumeReclaimPolicy: Retain
    volumeMode: Filesystem
  status: {phase: Pending}
`,
		},
		{
			name: "persistent volume claim",
			in: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`,
			want: `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  volumeMode: Filesystem
status: {phase: Pending}
`,
		},
	}
	runDefaultingCases(t, cases)
}
