package printers

import (
	"reflect"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

func TestPlatformCells(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := func() time.Time { return now }
	created := metav1.NewTime(now.Add(-5 * time.Hour))
	meta := metav1.ObjectMeta{Name: "x", CreationTimestamp: created}
	shares := int32(30)
	tests := []struct {
		name    string
		table   *registry.Table
		obj     runtime.Object
		columns []string
		want    []any
	}{
		{
			name: "crd served versions sorted, storage marked", table: CustomResourceDefinition(),
			obj: &apiextensionsv1.CustomResourceDefinition{ObjectMeta: meta, Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
				Names:    apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", ShortNames: []string{"wd", "wdg"}},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v2", Served: true}, {Name: "v1", Served: true, Storage: true}, {Name: "v0"}}},
				Status: apiextensionsv1.CustomResourceDefinitionStatus{Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
					{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue}, {Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}}},
			columns: []string{"Name", "Scope", "Versions", "Created At", "Group", "Kind", "ShortNames", "Established"},
			want:    []any{"x", "Namespaced", "v1(storage),v2", "2026-01-01T22:04:05Z", "example.com", "Widget", "wd,wdg", true},
		},
		{
			name: "crd not established", table: CustomResourceDefinition(),
			obj: &apiextensionsv1.CustomResourceDefinition{ObjectMeta: meta, Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "example.com", Scope: apiextensionsv1.ClusterScoped, Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Gizmo"},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}}},
				Status: apiextensionsv1.CustomResourceDefinitionStatus{Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
					{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionFalse}}}},
			columns: []string{"Name", "Scope", "Versions", "Created At", "Group", "Kind", "ShortNames", "Established"},
			want:    []any{"x", "Cluster", "v1(storage)", "2026-01-01T22:04:05Z", "example.com", "Gizmo", "", false},
		},
		{
			name: "csr approved and issued", table: csrTable(clk),
			obj: &certificatesv1.CertificateSigningRequest{ObjectMeta: meta,
				Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "example.com/s", Username: "alice", ExpirationSeconds: ptrTo(int32(3600))},
				Status: certificatesv1.CertificateSigningRequestStatus{Certificate: []byte("c"), Conditions: []certificatesv1.CertificateSigningRequestCondition{
					{Type: certificatesv1.CertificateApproved}}}},
			columns: []string{"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"},
			want:    []any{"x", "5h", "example.com/s", "alice", "60m", "Approved,Issued"},
		},
		{
			name: "csr denied wins and failed is added", table: csrTable(clk),
			obj: &certificatesv1.CertificateSigningRequest{ObjectMeta: meta, Status: certificatesv1.CertificateSigningRequestStatus{
				Conditions: []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved},
					{Type: certificatesv1.CertificateDenied}, {Type: certificatesv1.CertificateFailed}}}},
			columns: []string{"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"},
			want:    []any{"x", "5h", "<none>", "", "<none>", "Denied,Failed"},
		},
		{
			name: "validating webhooks", table: validatingWebhookTable(clk),
			obj:     &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: meta, Webhooks: make([]admissionregistrationv1.ValidatingWebhook, 2)},
			columns: []string{"Name", "Webhooks", "Age"}, want: []any{"x", int64(2), "5h"},
		},
		{
			name: "binding with namespaced param", table: validatingBindingTable(clk),
			obj: &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: meta, Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				PolicyName: "p", ParamRef: &admissionregistrationv1.ParamRef{Name: "cfg", Namespace: "ns"}}},
			columns: []string{"Name", "PolicyName", "ParamRef", "Age"}, want: []any{"x", "p", "ns/cfg", "5h"},
		},
		{
			name: "flow schema without status", table: flowSchemaTable(clk),
			obj: &flowcontrolv1.FlowSchema{ObjectMeta: meta, Spec: flowcontrolv1.FlowSchemaSpec{MatchingPrecedence: 1000,
				PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "global-default"},
				DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType}}},
			columns: []string{"Name", "PriorityLevel", "MatchingPrecedence", "DistinguisherMethod", "Age", "MissingPL"},
			want:    []any{"x", "global-default", int64(1000), "ByUser", "5h", "?"},
		},
		{
			name: "queued priority level", table: priorityLevelTable(clk),
			obj: &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: meta, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
				Type: flowcontrolv1.PriorityLevelEnablementLimited, Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
					NominalConcurrencyShares: &shares, LimitResponse: flowcontrolv1.LimitResponse{
						Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 64, HandSize: 8, QueueLengthLimit: 50}}}}},
			columns: []string{"Name", "Type", "NominalConcurrencyShares", "Queues", "HandSize", "QueueLengthLimit", "Age"},
			want:    []any{"x", "Limited", int64(30), int64(64), int64(8), int64(50), "5h"},
		},
		{
			name: "exempt priority level", table: priorityLevelTable(clk),
			obj:     &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: meta, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementExempt}},
			columns: []string{"Name", "Type", "NominalConcurrencyShares", "Queues", "HandSize", "QueueLengthLimit", "Age"},
			want:    []any{"x", "Exempt", "<none>", "<none>", "<none>", "<none>", "5h"},
		},
		{
			name: "storage version migration running", table: StorageVersionMigration(),
			obj: &storagemigrationv1.StorageVersionMigration{ObjectMeta: meta, Spec: storagemigrationv1.StorageVersionMigrationSpec{
				Resource: metav1.GroupResource{Group: "apps", Resource: "deployments"}}, Status: storagemigrationv1.StorageVersionMigrationStatus{
				Conditions: []metav1.Condition{{Type: "Running", Status: metav1.ConditionTrue}}}},
			columns: []string{"Name", "Resource", "Status"}, want: []any{"x", "deployments.apps", "Running"},
		},
		{
			name: "allocated and reserved claim", table: resourceClaimTable(clk),
			obj: &resourcev1.ResourceClaim{ObjectMeta: meta, Status: resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{},
				ReservedFor: []resourcev1.ResourceClaimConsumerReference{{Name: "p"}}}},
			columns: []string{"Name", "State", "Age"}, want: []any{"x", "allocated,reserved", "5h"},
		},
		{
			name: "pending claim", table: resourceClaimTable(clk), obj: &resourcev1.ResourceClaim{ObjectMeta: meta},
			columns: []string{"Name", "State", "Age"}, want: []any{"x", "pending", "5h"},
		},
		{
			name: "device class", table: nameAgeTable[resourcev1.DeviceClass]("deviceclasses", clk), obj: &resourcev1.DeviceClass{ObjectMeta: meta},
			columns: []string{"Name", "Age"}, want: []any{"x", "5h"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cols []string
			for _, c := range tc.table.Columns {
				cols = append(cols, c.Name)
				if c.Description == "" {
					t.Errorf("column %s has no description", c.Name)
				}
			}
			if !reflect.DeepEqual(cols, tc.columns) {
				t.Errorf("columns %v, want %v", cols, tc.columns)
			}
			got, err := tc.table.Cells(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells %#v, want %#v", got, tc.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
