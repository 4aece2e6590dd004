package printers

import (
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Column descriptions upstream writes out rather than taking from the API docs.
const (
	descWebhookCount   = "Webhooks indicates the number of webhooks registered in this configuration"
	descParamKind      = "ParamKind specifies the kind of resources used to parameterize this policy"
	descPolicyName     = "PolicyName indicates the policy definition which the policy binding binded to"
	descParamRef       = "ParamRef indicates the param resource which sets the configuration param"
	descMissingPL      = "references a broken or non-existent PriorityLevelConfiguration"
	descPCRState       = "Is the request Pending, Issued, Denied, or Failed?"
	descClaimState     = "A summary of the current state (allocated, pending, reserved, etc.)."
	descMigrationGR    = "GroupResource to migrate"
	descMigrationState = "Status of the migration"
)

// CertificateSigningRequest prints NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION
// CONDITION.
func CertificateSigningRequest() *registry.Table { return csrTable(time.Now) }

func csrTable(now clock) *registry.Table {
	// Upstream still documents these columns from the v1beta1 types.
	spec := certificatesv1beta1.CertificateSigningRequestSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		ageColumn(),
		column("SignerName", "string", spec["signerName"]),
		column("Requestor", "string", spec["request"]),
		column("RequestedDuration", "string", spec["expirationSeconds"]),
		column("Condition", "string", certificatesv1beta1.CertificateSigningRequestStatus{}.SwaggerDoc()["conditions"]),
	}
	return typed("certificatesigningrequests", cols, func(csr *certificatesv1.CertificateSigningRequest) []any {
		requested := none
		if s := csr.Spec.ExpirationSeconds; s != nil {
			requested = duration.HumanDuration(time.Duration(*s) * time.Second)
		}
		return []any{csr.Name, since(now, csr.CreationTimestamp), cmpOr(csr.Spec.SignerName, none),
			csr.Spec.Username, requested, csrCondition(csr)}
	})
}

// csrCondition summarises a CSR: Denied wins over Approved, then Failed and Issued
// are added.
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	state := "Pending"
	switch {
	case denied:
		state = "Denied"
	case approved:
		state = "Approved"
	}
	if failed {
		state += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		state += ",Issued"
	}
	return state
}

// ClusterTrustBundle prints NAME SIGNERNAME (no age, as upstream).
func ClusterTrustBundle() *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("SignerName", "string", certificatesv1.ClusterTrustBundleSpec{}.SwaggerDoc()["signerName"]),
	}
	return typed("clustertrustbundles", cols, func(b *certificatesv1.ClusterTrustBundle) []any {
		return []any{b.Name, cmpOr(b.Spec.SignerName, none)}
	})
}

// PodCertificateRequest prints NAME PODNAME SERVICEACCOUNTNAME NODENAME SIGNERNAME
// STATE UNVERIFIEDUSERANNOTATIONS.
func PodCertificateRequest() *registry.Table {
	spec := certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("PodName", "string", spec["podName"]),
		column("ServiceAccountName", "string", spec["serviceAccountName"]),
		column("NodeName", "string", spec["nodeName"]),
		column("SignerName", "string", spec["signerName"]),
		column("State", "string", descPCRState),
		column("UnverifiedUserAnnotations", "string", spec["unverifiedUserAnnotations"]),
	}
	return typed("podcertificaterequests", cols, func(r *certificatesv1.PodCertificateRequest) []any {
		state := "Pending"
		for _, c := range r.Status.Conditions {
			switch c.Type {
			case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied,
				certificatesv1.PodCertificateRequestConditionTypeFailed:
				state = c.Type
			}
		}
		return []any{r.Name, r.Spec.PodName, r.Spec.ServiceAccountName, string(r.Spec.NodeName), r.Spec.SignerName, state,
			labels.FormatLabels(r.Spec.UnverifiedUserAnnotations)}
	})
}

func webhookColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn(), column("Webhooks", "integer", descWebhookCount), ageColumn()}
}

// ValidatingWebhookConfiguration prints NAME WEBHOOKS AGE.
func ValidatingWebhookConfiguration() *registry.Table { return validatingWebhookTable(time.Now) }

func validatingWebhookTable(now clock) *registry.Table {
	return typed("validatingwebhookconfigurations", webhookColumns(), func(c *admissionregistrationv1.ValidatingWebhookConfiguration) []any {
		return []any{c.Name, int64(len(c.Webhooks)), since(now, c.CreationTimestamp)}
	})
}

// MutatingWebhookConfiguration prints NAME WEBHOOKS AGE.
func MutatingWebhookConfiguration() *registry.Table { return mutatingWebhookTable(time.Now) }

func mutatingWebhookTable(now clock) *registry.Table {
	return typed("mutatingwebhookconfigurations", webhookColumns(), func(c *admissionregistrationv1.MutatingWebhookConfiguration) []any {
		return []any{c.Name, int64(len(c.Webhooks)), since(now, c.CreationTimestamp)}
	})
}

func paramKindCell(pk *admissionregistrationv1.ParamKind) string {
	if pk == nil {
		return unset
	}
	return pk.APIVersion + "/" + pk.Kind
}

// paramRefCell prints a binding's parameter: ns/name, */name when the namespace is
// not known, or the selector.
func paramRefCell(pr *admissionregistrationv1.ParamRef) string {
	switch {
	case pr == nil:
		return unset
	case pr.Name != "" && pr.Namespace != "":
		return pr.Namespace + "/" + pr.Name
	case pr.Name != "":
		return "*/" + pr.Name
	case pr.Selector != nil:
		return pr.Selector.String()
	}
	return unset
}

// ValidatingAdmissionPolicy prints NAME VALIDATIONS PARAMKIND AGE.
func ValidatingAdmissionPolicy() *registry.Table { return validatingAdmissionPolicyTable(time.Now) }

func validatingAdmissionPolicyTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Validations", "integer", "Validations indicates the number of validation rules defined in this configuration"),
		column("ParamKind", "string", descParamKind),
		ageColumn(),
	}
	return typed("validatingadmissionpolicies", cols, func(p *admissionregistrationv1.ValidatingAdmissionPolicy) []any {
		return []any{p.Name, int64(len(p.Spec.Validations)), paramKindCell(p.Spec.ParamKind), since(now, p.CreationTimestamp)}
	})
}

// MutatingAdmissionPolicy prints NAME MUTATIONS PARAMKIND AGE.
func MutatingAdmissionPolicy() *registry.Table { return mutatingAdmissionPolicyTable(time.Now) }

func mutatingAdmissionPolicyTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Mutations", "integer", "Mutation indicates the number of mutations rules defined in this configuration"),
		column("ParamKind", "string", descParamKind),
		ageColumn(),
	}
	return typed("mutatingadmissionpolicies", cols, func(p *admissionregistrationv1.MutatingAdmissionPolicy) []any {
		return []any{p.Name, int64(len(p.Spec.Mutations)), paramKindCell(p.Spec.ParamKind), since(now, p.CreationTimestamp)}
	})
}

func bindingColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn(), column("PolicyName", "string", descPolicyName), column("ParamRef", "string", descParamRef), ageColumn(),
	}
}

// ValidatingAdmissionPolicyBinding prints NAME POLICYNAME PARAMREF AGE.
func ValidatingAdmissionPolicyBinding() *registry.Table { return validatingBindingTable(time.Now) }

func validatingBindingTable(now clock) *registry.Table {
	return typed("validatingadmissionpolicybindings", bindingColumns(), func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) []any {
		return []any{b.Name, b.Spec.PolicyName, paramRefCell(b.Spec.ParamRef), since(now, b.CreationTimestamp)}
	})
}

// MutatingAdmissionPolicyBinding prints NAME POLICYNAME PARAMREF AGE.
func MutatingAdmissionPolicyBinding() *registry.Table { return mutatingBindingTable(time.Now) }

func mutatingBindingTable(now clock) *registry.Table {
	return typed("mutatingadmissionpolicybindings", bindingColumns(), func(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) []any {
		return []any{b.Name, b.Spec.PolicyName, paramRefCell(b.Spec.ParamRef), since(now, b.CreationTimestamp)}
	})
}

// FlowSchema prints NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE
// MISSINGPL.
func FlowSchema() *registry.Table { return flowSchemaTable(time.Now) }

func flowSchemaTable(now clock) *registry.Table {
	spec := flowcontrolv1.FlowSchemaSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("PriorityLevel", "string", flowcontrolv1.PriorityLevelConfigurationReference{}.SwaggerDoc()["name"]),
		column("MatchingPrecedence", "string", spec["matchingPrecedence"]),
		column("DistinguisherMethod", "string", spec["distinguisherMethod"]),
		ageColumn(),
		column("MissingPL", "string", descMissingPL),
	}
	return typed("flowschemas", cols, func(fs *flowcontrolv1.FlowSchema) []any {
		method := none
		if fs.Spec.DistinguisherMethod != nil {
			method = string(fs.Spec.DistinguisherMethod.Type)
		}
		missing := "?"
		for _, c := range fs.Status.Conditions {
			if c.Type == flowcontrolv1.FlowSchemaConditionDangling {
				missing = string(c.Status)
				break
			}
		}
		return []any{fs.Name, fs.Spec.PriorityLevelConfiguration.Name, int64(fs.Spec.MatchingPrecedence), method,
			since(now, fs.CreationTimestamp), missing}
	})
}

// PriorityLevelConfiguration prints NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE
// QUEUELENGTHLIMIT AGE; exempt levels and levels that reject print <none>.
func PriorityLevelConfiguration() *registry.Table { return priorityLevelTable(time.Now) }

func priorityLevelTable(now clock) *registry.Table {
	queuing := flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Type", "string", flowcontrolv1.PriorityLevelConfigurationSpec{}.SwaggerDoc()["type"]),
		column("NominalConcurrencyShares", "string", flowcontrolv1.LimitedPriorityLevelConfiguration{}.SwaggerDoc()["nominalConcurrencyShares"]),
		column("Queues", "string", queuing["queues"]),
		column("HandSize", "string", queuing["handSize"]),
		column("QueueLengthLimit", "string", queuing["queueLengthLimit"]),
		ageColumn(),
	}
	return typed("prioritylevelconfigurations", cols, func(pl *flowcontrolv1.PriorityLevelConfiguration) []any {
		var shares, queues, handSize, limit any = none, none, none, none
		if l := pl.Spec.Limited; l != nil {
			shares = int64(deref(l.NominalConcurrencyShares, 0))
			if q := l.LimitResponse.Queuing; q != nil {
				queues, handSize, limit = int64(q.Queues), int64(q.HandSize), int64(q.QueueLengthLimit)
			}
		}
		return []any{pl.Name, string(pl.Spec.Type), shares, queues, handSize, limit, since(now, pl.CreationTimestamp)}
	})
}

// StorageVersionMigration prints NAME RESOURCE STATUS (no age, as upstream, and the
// name column without the name format).
func StorageVersionMigration() *registry.Table {
	cols := []metav1.TableColumnDefinition{
		column("Name", "string", metaDoc("name")),
		column("Resource", "string", descMigrationGR),
		column("Status", "string", descMigrationState),
	}
	return typed("storageversionmigrations", cols, func(m *storagemigrationv1.StorageVersionMigration) []any {
		state := "Unknown"
		for _, c := range m.Status.Conditions {
			if c.Status != metav1.ConditionTrue {
				continue
			}
			switch storagemigrationv1.MigrationConditionType(c.Type) {
			case storagemigrationv1.MigrationRunning, storagemigrationv1.MigrationFailed, storagemigrationv1.MigrationSucceeded:
				state = c.Type
			}
		}
		return []any{m.Name, m.Spec.Resource.String(), state}
	})
}

// DeviceClass prints NAME AGE.
func DeviceClass() *registry.Table {
	return nameAgeTable[resourcev1.DeviceClass]("deviceclasses", time.Now)
}

// ResourceClaimTemplate prints NAME AGE.
func ResourceClaimTemplate() *registry.Table {
	return nameAgeTable[resourcev1.ResourceClaimTemplate]("resourceclaimtemplates", time.Now)
}

// nameAgeTable is the NAME AGE table of resources with nothing else worth printing.
func nameAgeTable[T any, PT interface {
	*T
	metav1.Object
	runtime.Object
}](resource string, now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{nameColumn(), ageColumn()}
	return typed(resource, cols, func(o PT) []any {
		return []any{o.GetName(), since(now, o.GetCreationTimestamp())}
	})
}

// ResourceClaim prints NAME STATE AGE.
func ResourceClaim() *registry.Table { return resourceClaimTable(time.Now) }

func resourceClaimTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{nameColumn(), column("State", "string", descClaimState), ageColumn()}
	return typed("resourceclaims", cols, func(c *resourcev1.ResourceClaim) []any {
		var states []string
		if c.DeletionTimestamp != nil {
			states = append(states, "deleted")
		}
		switch {
		case c.Status.Allocation != nil:
			states = append(states, "allocated")
			if len(c.Status.ReservedFor) > 0 {
				states = append(states, "reserved")
			}
		case c.DeletionTimestamp == nil:
			states = append(states, "pending")
		}
		return []any{c.Name, strings.Join(states, ","), since(now, c.CreationTimestamp)}
	})
}

// ResourceSlice prints NAME NODE DRIVER POOL AGE.
func ResourceSlice() *registry.Table { return resourceSliceTable(time.Now) }

func resourceSliceTable(now clock) *registry.Table {
	spec := resourcev1.ResourceSliceSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Node", "string", spec["nodeName"]),
		column("Driver", "string", spec["driver"]),
		column("Pool", "string", resourcev1.ResourcePool{}.SwaggerDoc()["name"]),
		ageColumn(),
	}
	return typed("resourceslices", cols, func(s *resourcev1.ResourceSlice) []any {
		return []any{s.Name, deref(s.Spec.NodeName, ""), s.Spec.Driver, s.Spec.Pool.Name, since(now, s.CreationTimestamp)}
	})
}

// DeviceTaintRule prints NAME KEY VALUE EFFECT TIMEADDED AGE.
func DeviceTaintRule() *registry.Table { return deviceTaintRuleTable(time.Now) }

func deviceTaintRuleTable(now clock) *registry.Table {
	taint := resourcev1.DeviceTaint{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Key", "string", taint["key"]),
		column("Value", "string", taint["value"]),
		column("Effect", "string", taint["effect"]),
		column("TimeAdded", "string", taint["timeAdded"]),
		ageColumn(),
	}
	return typed("devicetaintrules", cols, func(r *resourcev1.DeviceTaintRule) []any {
		t := r.Spec.Taint
		added := ""
		if t.TimeAdded != nil {
			added = since(now, *t.TimeAdded)
		}
		return []any{r.Name, t.Key, t.Value, string(t.Effect), added, since(now, r.CreationTimestamp)}
	})
}
