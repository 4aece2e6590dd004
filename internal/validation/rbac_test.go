package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rsCase is one validation of the rbac and storage groups: the rendered causes
// (field: type: detail) must start with want's entries, in order.
type rsCase struct {
	name string
	got  field.ErrorList
	want []string
}

func runRSCases(t *testing.T, cases []rsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range tc.got {
				got = append(got, e.Error())
			}
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tc.want[i])
			}
			if !ok {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func rsMeta(name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"}
}

func validRole() *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: rsMeta("system:reader", "default"),
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
}

func validRoleBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: rsMeta("rb", "default"),
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "system:reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"},
			{Kind: "ServiceAccount", Name: "default"}}}
}

func TestValidateRBAC(t *testing.T) {
	role := func(mut func(*rbacv1.Role)) runtime.Object {
		r := validRole()
		mut(r)
		return r
	}
	cr := func(mut func(*rbacv1.ClusterRole)) runtime.Object {
		r := &rbacv1.ClusterRole{ObjectMeta: rsMeta("view", ""),
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}
		mut(r)
		return r
	}
	rb := func(mut func(*rbacv1.RoleBinding)) runtime.Object {
		b := validRoleBinding()
		mut(b)
		return b
	}
	crb := func(mut func(*rbacv1.ClusterRoleBinding)) runtime.Object {
		b := &rbacv1.ClusterRoleBinding{ObjectMeta: rsMeta("crb", ""),
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "sa", Namespace: "kube-system"}}}
		mut(b)
		return b
	}
	none := func(*rbacv1.Role) {}
	runRSCases(t, []rsCase{
		{name: "valid role with a colon in its name", got: ValidateRole(role(none))},
		{name: "role name is a path segment", got: ValidateRole(role(func(r *rbacv1.Role) { r.Name = "a/b" })),
			want: []string{"metadata.name: Invalid value: \"a/b\": may not contain '/'"}},
		{name: "role name may not be ..", got: ValidateRole(role(func(r *rbacv1.Role) { r.Name = ".." })),
			want: []string{"metadata.name: Invalid value: \"..\": may not be '..'"}},
		{name: "role rule needs verbs, groups and resources", got: ValidateRole(role(func(r *rbacv1.Role) { r.Rules = []rbacv1.PolicyRule{{}} })),
			want: []string{
				"rules[0].verbs: Required value: verbs must contain at least one value",
				"rules[0].apiGroups: Required value: resource rules must supply at least one api group",
				"rules[0].resources: Required value: resource rules must supply at least one resource",
			}},
		{name: "roles cannot have non-resource URLs", got: ValidateRole(role(func(r *rbacv1.Role) {
			r.Rules = []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}}
		})), want: []string{"rules[0].nonResourceURLs: Invalid value: [\"/metrics\"]: namespaced rules cannot apply to non-resource URLs"}},
		{name: "role needs a namespace", got: ValidateRole(role(func(r *rbacv1.Role) { r.Namespace = "" })),
			want: []string{"metadata.namespace: Required value"}},
		{name: "role update checks metadata", got: ValidateRoleUpdate(role(func(r *rbacv1.Role) { r.UID = "b" }), role(func(r *rbacv1.Role) { r.UID = "a" })),
			want: []string{"metadata.uid: Invalid value: \"b\": field is immutable"}},

		{name: "valid cluster role with non-resource URLs", got: ValidateClusterRole(cr(func(*rbacv1.ClusterRole) {}))},
		{name: "cluster role mixing URLs and resources", got: ValidateClusterRole(cr(func(r *rbacv1.ClusterRole) {
			r.Rules[0].Resources = []string{"pods"}
		})), want: []string{"rules[0].nonResourceURLs: Invalid value: [\"/healthz\"]: rules cannot apply to both regular resources and non-resource URLs"}},
		{name: "aggregation rule needs selectors", got: ValidateClusterRole(cr(func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{}
		})), want: []string{"aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"}},
		{name: "aggregation rule selectors are label selectors", got: ValidateClusterRole(cr(func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
				{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-view": "true"}},
				{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Bogus"}}}}}
		})), want: []string{
			"aggregationRule.clusterRoleSelectors[1].matchExpressions[0].operator: Invalid value: \"Bogus\": not a valid selector operator",
			"aggregationRule.clusterRoleSelectors[1]: Invalid value:",
		}},
		{name: "cluster role has no namespace", got: ValidateClusterRole(cr(func(r *rbacv1.ClusterRole) { r.Namespace = "default" })),
			want: []string{"metadata.namespace: Forbidden: not allowed on this type"}},

		{name: "valid role binding", got: ValidateRoleBinding(rb(func(*rbacv1.RoleBinding) {}))},
		{name: "role binding refs and subjects", got: ValidateRoleBinding(rb(func(b *rbacv1.RoleBinding) {
			b.RoleRef = rbacv1.RoleRef{APIGroup: "example.com", Kind: "Secret"}
			b.Subjects = []rbacv1.Subject{{Kind: "Robot", Name: "r"}, {Kind: "User"}, {Kind: "ServiceAccount", Name: "Bad_SA", APIGroup: "x"}}
		})), want: []string{
			"roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"",
			"roleRef.kind: Unsupported value: \"Secret\": supported values: \"Role\", \"ClusterRole\"",
			"roleRef.name: Required value",
			"subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
			"subjects[1].name: Required value",
			"subjects[1].apiGroup: Unsupported value: \"\": supported values: \"rbac.authorization.k8s.io\"",
			"subjects[2].name: Invalid value: \"Bad_SA\": a lowercase RFC 1123 subdomain",
			"subjects[2].apiGroup: Unsupported value: \"x\": supported values: \"\"",
		}},
		{name: "role binding roleRef is immutable", got: ValidateRoleBindingUpdate(
			rb(func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "other" }), rb(func(*rbacv1.RoleBinding) {})),
			want: []string{"roleRef: Invalid value: {\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"other\"}: field is immutable"}},
		{name: "role binding subjects may change", got: ValidateRoleBindingUpdate(
			rb(func(b *rbacv1.RoleBinding) { b.Subjects = nil }), rb(func(*rbacv1.RoleBinding) {}))},

		{name: "valid cluster role binding", got: ValidateClusterRoleBinding(crb(func(*rbacv1.ClusterRoleBinding) {}))},
		{name: "cluster role binding refers to cluster roles only and needs SA namespaces", got: ValidateClusterRoleBinding(crb(func(b *rbacv1.ClusterRoleBinding) {
			b.RoleRef.Kind = "Role"
			b.Subjects[0].Namespace = ""
		})), want: []string{
			"roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
			"subjects[0].namespace: Required value",
		}},
		{name: "cluster role binding roleRef is immutable", got: ValidateClusterRoleBindingUpdate(
			crb(func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Name = "edit" }), crb(func(*rbacv1.ClusterRoleBinding) {})),
			want: []string{"roleRef: Invalid value:"}},
		{name: "wrong type is an internal error", got: ValidateRoleBinding(&rbacv1.Role{}),
			want: []string{"<nil>: Internal error: expected *v1.RoleBinding, got *v1.Role"}},
	})
}

func TestValidateStorageGroup(t *testing.T) {
	immediate := storagev1.VolumeBindingImmediate
	deleteP := corev1.PersistentVolumeReclaimDelete
	sc := func(mut func(*storagev1.StorageClass)) runtime.Object {
		s := &storagev1.StorageClass{ObjectMeta: rsMeta("fast", ""), Provisioner: "ebs.csi.aws.com",
			Parameters: map[string]string{"type": "gp3"}, ReclaimPolicy: &deleteP, VolumeBindingMode: &immediate}
		mut(s)
		return s
	}
	driver := func(mut func(*storagev1.CSIDriver)) runtime.Object {
		f, tr := false, true
		fsp := storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy
		d := &storagev1.CSIDriver{ObjectMeta: rsMeta("ebs.csi.aws.com", ""), Spec: storagev1.CSIDriverSpec{
			AttachRequired: &tr, PodInfoOnMount: &f, StorageCapacity: &f, FSGroupPolicy: &fsp, RequiresRepublish: &f,
			SELinuxMount: &f, PreventPodSchedulingIfMissing: &f,
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}}}
		mut(d)
		return d
	}
	node := func(mut func(*storagev1.CSINode)) runtime.Object {
		n := &storagev1.CSINode{ObjectMeta: rsMeta("node-1", ""), Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
			{Name: "ebs.csi.aws.com", NodeID: "i-1", TopologyKeys: []string{"topology.ebs.csi.aws.com/zone"}}}}}
		mut(n)
		return n
	}
	capacity := func(mut func(*storagev1.CSIStorageCapacity)) runtime.Object {
		q := resource.MustParse("10Gi")
		c := &storagev1.CSIStorageCapacity{ObjectMeta: rsMeta("cap", "kube-system"), StorageClassName: "fast", Capacity: &q,
			NodeTopology: &metav1.LabelSelector{MatchLabels: map[string]string{"zone": "a"}}}
		mut(c)
		return c
	}
	va := func(mut func(*storagev1.VolumeAttachment)) runtime.Object {
		pv := "pv-1"
		a := &storagev1.VolumeAttachment{ObjectMeta: rsMeta("csi-123", ""), Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "ebs.csi.aws.com", NodeName: "node-1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}}}
		mut(a)
		return a
	}
	vac := func(mut func(*storagev1.VolumeAttributesClass)) runtime.Object {
		c := &storagev1.VolumeAttributesClass{ObjectMeta: rsMeta("gold", ""), DriverName: "ebs.csi.aws.com",
			Parameters: map[string]string{"iops": "3000"}}
		mut(c)
		return c
	}
	runRSCases(t, []rsCase{
		{name: "valid storage class", got: ValidateStorageClass(sc(func(*storagev1.StorageClass) {}))},
		{name: "storage class needs a provisioner and a binding mode", got: ValidateStorageClass(sc(func(s *storagev1.StorageClass) {
			s.Provisioner, s.VolumeBindingMode = "", nil
		})), want: []string{"provisioner: Required value", "volumeBindingMode: Required value"}},
		{name: "storage class enums", got: ValidateStorageClass(sc(func(s *storagev1.StorageClass) {
			rp, mode := corev1.PersistentVolumeReclaimRecycle, storagev1.VolumeBindingMode("Later")
			s.ReclaimPolicy, s.VolumeBindingMode = &rp, &mode
		})), want: []string{
			"reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"",
			"volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"",
		}},
		{name: "storage class provisioner is a qualified name", got: ValidateStorageClass(sc(func(s *storagev1.StorageClass) { s.Provisioner = "a b" })),
			want: []string{"provisioner: Invalid value: \"a b\": name part must consist of alphanumeric characters"}},
		{name: "storage class topology terms", got: ValidateStorageClass(sc(func(s *storagev1.StorageClass) {
			term := corev1.TopologySelectorTerm{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{"a"}}}}
			s.AllowedTopologies = []corev1.TopologySelectorTerm{term, term,
				{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone"}}}}
		})), want: []string{
			"allowedTopologies[1].matchLabelExpressions: Duplicate value: \"\"",
			"allowedTopologies[2].matchLabelExpressions[0].values: Required value",
		}},
		{name: "storage class update keeps provisioner and parameters", got: ValidateStorageClassUpdate(
			sc(func(s *storagev1.StorageClass) { s.Provisioner, s.Parameters = "other.example.com", nil }), sc(func(*storagev1.StorageClass) {})),
			want: []string{"parameters: Invalid value: null: field is immutable", "provisioner: Invalid value: \"other.example.com\": field is immutable"}},
		{name: "storage class update may allow expansion", got: ValidateStorageClassUpdate(
			sc(func(s *storagev1.StorageClass) { s.AllowVolumeExpansion = ptr(true) }), sc(func(*storagev1.StorageClass) {}))},

		{name: "valid csi driver", got: ValidateCSIDriver(driver(func(*storagev1.CSIDriver) {}))},
		{name: "csi driver switches required after defaulting", got: ValidateCSIDriver(driver(func(d *storagev1.CSIDriver) {
			d.Spec.AttachRequired, d.Spec.SELinuxMount = nil, nil
		})), want: []string{"spec.attachedRequired: Required value", "spec.seLinuxMount: Required value"}},
		{name: "csi driver token requests and modes", got: ValidateCSIDriver(driver(func(d *storagev1.CSIDriver) {
			d.Spec.TokenRequests = []storagev1.TokenRequest{{Audience: "a", ExpirationSeconds: ptr(int64(60))}, {Audience: "a"}}
			d.Spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{"Forever"}
		})), want: []string{
			"spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
			"spec.tokenRequests[1].audience: Duplicate value: \"a\"",
			"spec.volumeLifecycleModes: Unsupported value: \"Forever\": supported values: \"Persistent\", \"Ephemeral\"",
		}},
		{name: "csi driver attachRequired is immutable", got: ValidateCSIDriverUpdate(
			driver(func(d *storagev1.CSIDriver) { d.Spec.AttachRequired = ptr(false) }), driver(func(*storagev1.CSIDriver) {})),
			want: []string{"spec.attachedRequired: Invalid value: false: field is immutable"}},
		{name: "csi driver podInfoOnMount may change", got: ValidateCSIDriverUpdate(
			driver(func(d *storagev1.CSIDriver) { d.Spec.PodInfoOnMount = ptr(true) }), driver(func(*storagev1.CSIDriver) {}))},

		{name: "valid csi node", got: ValidateCSINode(node(func(*storagev1.CSINode) {}))},
		{name: "csi node drivers", got: ValidateCSINode(node(func(n *storagev1.CSINode) {
			n.Spec.Drivers = append(n.Spec.Drivers, storagev1.CSINodeDriver{Name: "ebs.csi.aws.com"})
		})), want: []string{"spec.drivers[1].nodeID: Required value", "spec.drivers[1].name: Duplicate value: \"ebs.csi.aws.com\""}},
		{name: "csi node driver is immutable but its allocatable count", got: ValidateCSINodeUpdate(
			node(func(n *storagev1.CSINode) {
				n.Spec.Drivers[0].NodeID = "i-2"
				n.Spec.Drivers[0].Allocatable = &storagev1.VolumeNodeResources{Count: ptr(int32(3))}
			}), node(func(*storagev1.CSINode) {})),
			want: []string{"spec.drivers: Invalid value:"}},
		{name: "csi node status health", got: ValidateCSINodeStatusUpdate(node(func(n *storagev1.CSINode) {
			n.Status.StorageHealth = []storagev1.StorageHealth{{Name: "ebs.csi.aws.com", HealthConditions: []storagev1.StorageHealthCondition{{Status: "Sad"}}}}
		}), node(func(*storagev1.CSINode) {})), want: []string{
			"status.storageHealth[0].healthConditions[0].status: Unsupported value: \"Sad\"",
			"status.storageHealth[0].healthConditions[0].reason: Required value",
		}},

		{name: "valid csi storage capacity", got: ValidateCSIStorageCapacity(capacity(func(*storagev1.CSIStorageCapacity) {}))},
		{name: "csi storage capacity class and capacity", got: ValidateCSIStorageCapacity(capacity(func(c *storagev1.CSIStorageCapacity) {
			c.StorageClassName = ""
			q := resource.MustParse("-1")
			c.Capacity = &q
		})), want: []string{"storageClassName: Invalid value: \"\":", "capacity: Invalid value: \"-1\": must be greater than or equal to 0"}},
		{name: "csi storage capacity topology is immutable", got: ValidateCSIStorageCapacityUpdate(
			capacity(func(c *storagev1.CSIStorageCapacity) { c.NodeTopology = nil; c.StorageClassName = "slow" }), capacity(func(*storagev1.CSIStorageCapacity) {})),
			want: []string{"nodeTopology: Invalid value: null: field is immutable", "storageClassName: Invalid value: \"slow\": field is immutable"}},

		{name: "valid volume attachment", got: ValidateVolumeAttachment(va(func(*storagev1.VolumeAttachment) {}))},
		{name: "volume attachment needs attacher, source and node", got: ValidateVolumeAttachment(va(func(a *storagev1.VolumeAttachment) {
			a.Spec = storagev1.VolumeAttachmentSpec{}
		})), want: []string{
			"spec.attacher: Required value",
			"spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName",
			"spec.nodeName: Invalid value: \"\":",
		}},
		{name: "volume attachment inline spec is CSI only", got: ValidateVolumeAttachment(va(func(a *storagev1.VolumeAttachment) {
			a.Spec.Source.PersistentVolumeName = nil
			a.Spec.Source.InlineVolumeSpec = &corev1.PersistentVolumeSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}}
		})), want: []string{"spec.source.inlineVolumeSpec.csi: Required value: has to be specified in the context of inline volumes"}},
		{name: "volume attachment status error code", got: ValidateVolumeAttachmentStatusUpdate(va(func(a *storagev1.VolumeAttachment) {
			a.Status.AttachError = &storagev1.VolumeError{ErrorCode: ptr(int32(-1))}
		}), va(func(*storagev1.VolumeAttachment) {})), want: []string{"status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive"}},
		{name: "volume attachment spec is immutable", got: ValidateVolumeAttachmentUpdate(
			va(func(a *storagev1.VolumeAttachment) { a.Spec.NodeName = "node-2" }), va(func(*storagev1.VolumeAttachment) {})),
			want: []string{"spec: Invalid value:"}},

		{name: "valid volume attributes class", got: ValidateVolumeAttributesClass(vac(func(*storagev1.VolumeAttributesClass) {}))},
		{name: "volume attributes class needs driver and parameters", got: ValidateVolumeAttributesClass(vac(func(c *storagev1.VolumeAttributesClass) {
			c.DriverName, c.Parameters = "", nil
		})), want: []string{"driverName: Required value", "parameters: Required value: must contain at least one key/value pair"}},
		{name: "volume attributes class driver and parameters are fixed", got: ValidateVolumeAttributesClassUpdate(
			vac(func(c *storagev1.VolumeAttributesClass) {
				c.DriverName, c.Parameters = "other.example.com", map[string]string{"iops": "1"}
			}),
			vac(func(*storagev1.VolumeAttributesClass) {})),
			want: []string{"driverName: Forbidden: updates to driverName are forbidden.", "parameters: Forbidden: updates to parameters are forbidden."}},
	})
}

// TestValidateRBACName follows upstream's path segment rule.
func TestValidateRBACName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"colons allowed", "system:controller:job-controller", true},
		{"upper case allowed", "Admin", true},
		{"slash", "a/b", false},
		{"percent", "a%b", false},
		{"dot", ".", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidateRBACName(tc.in, false); (len(got) == 0) != tc.ok {
				t.Errorf("ValidateRBACName(%q) = %v, want ok=%v", tc.in, got, tc.ok)
			}
		})
	}
}
