package validation

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of the Job API, as upstream.
const (
	jobMaxIndexedParallelism         = 100000
	jobMaxFailedIndexes              = 100000
	jobCompletionsSoftLimit          = 100000
	jobParallelismForHighCompletions = 10000
	jobMaxFailedIndexesHighCompl     = 10000
	jobMaxPodFailureRules            = 20
	jobMaxExitCodeValues             = 255
	jobMaxPodConditionPatterns       = 20
	jobMaxManagedByLength            = 63
	jobMaxSucceededIndexesLength     = 64 * 1024
	jobMaxSuccessRules               = 20
	// cronJobMaxNameLength leaves room for the 11-character suffix the controller
	// appends to name a CronJob's Jobs.
	cronJobMaxNameLength = utilvalidation.DNS1035LabelMaxLength - 11
)

// The unprefixed labels a Job's generated selector also puts on its pods, kept for
// clients that predate the batch.kubernetes.io ones.
const (
	JobLegacyControllerUIDLabel = "controller-uid"
	JobLegacyNameLabel          = "job-name"
)

var (
	jobFailureActions = []batchv1.PodFailurePolicyAction{batchv1.PodFailurePolicyActionCount,
		batchv1.PodFailurePolicyActionFailIndex, batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore}
	jobExitCodeOperators = []batchv1.PodFailurePolicyOnExitCodesOperator{batchv1.PodFailurePolicyOnExitCodesOpIn,
		batchv1.PodFailurePolicyOnExitCodesOpNotIn}
	jobConditionStatuses = []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}
)

// jobOptions are what an update relaxes, computed from the old Job as upstream's
// strategy does.
type jobOptions struct {
	allowInvalidSelectorValue bool
	// mutableTemplate allows scheduling directives and container resources of a
	// suspended Job that has not started to change.
	mutableTemplate bool
}

// ValidateJob checks a Job on create, after the selector was generated.
func ValidateJob(obj runtime.Object) field.ErrorList {
	return create(obj, func(j *batchv1.Job) field.ErrorList {
		allErrs := objectMeta(&j.ObjectMeta, true, NameIsDNSSubdomain)
		allErrs = append(allErrs, jobGeneratedSelector(j, true)...)
		allErrs = append(allErrs, jobSpec(&j.Spec, field.NewPath("spec"), jobOptions{})...)
		return append(allErrs, jobNameAllowsCompletions(j)...)
	})
}

// ValidateJobUpdate checks a Job update: the selector, the template (outside the
// suspended-job exceptions) and the completion mode are fixed.
func ValidateJobUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(j, old *batchv1.Job) field.ErrorList {
		opts := jobOptions{
			allowInvalidSelectorValue: metav1validation.LabelSelectorHasInvalidLabelValue(old.Spec.Selector),
			mutableTemplate: jobBoolTrue(old.Spec.Suspend) && old.Status.Active == 0 &&
				(old.Status.StartTime == nil || jobCondition(old.Status.Conditions, batchv1.JobSuspended, corev1.ConditionTrue)),
		}
		p := field.NewPath("spec")
		spec, oldSpec := &j.Spec, &old.Spec
		allErrs := objectMetaUpdate(&j.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, jobSpec(spec, p, opts)...)
		allErrs = append(allErrs, jobCompletionsUpdate(spec, oldSpec, p.Child("completions"))...)
		allErrs = append(allErrs, immutable(spec.Selector, oldSpec.Selector, p.Child("selector"))...)
		allErrs = append(allErrs, jobTemplateUpdate(spec, oldSpec, p, opts)...)
		allErrs = append(allErrs, immutable(spec.CompletionMode, oldSpec.CompletionMode, p.Child("completionMode"))...)
		allErrs = append(allErrs, immutable(spec.PodFailurePolicy, oldSpec.PodFailurePolicy, p.Child("podFailurePolicy"))...)
		allErrs = append(allErrs, immutable(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex, p.Child("backoffLimitPerIndex"))...)
		allErrs = append(allErrs, immutable(spec.ManagedBy, oldSpec.ManagedBy, p.Child("managedBy"))...)
		allErrs = append(allErrs, immutable(spec.SuccessPolicy, oldSpec.SuccessPolicy, p.Child("successPolicy"))...)
		return append(allErrs, jobNameAllowsCompletions(j)...)
	})
}

func jobBoolTrue(b *bool) bool { return b != nil && *b }

// jobGeneratedSelector checks that a generated selector selects the labels the
// Job strategy put on the template, and that those labels are there.
func jobGeneratedSelector(j *batchv1.Job, prefixed bool) field.ErrorList {
	if jobBoolTrue(j.Spec.ManualSelector) || j.Spec.Selector == nil {
		return nil
	}
	var allErrs field.ErrorList
	if j.UID == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("metadata", "uid"), ""))
	}
	tp := field.NewPath("spec", "template", "metadata")
	want := map[string]string{JobLegacyControllerUIDLabel: string(j.UID), JobLegacyNameLabel: j.Name}
	keys := []string{JobLegacyControllerUIDLabel, JobLegacyNameLabel}
	if prefixed {
		want[batchv1.ControllerUidLabel], want[batchv1.JobNameLabel] = string(j.UID), j.Name
		keys = append(keys, batchv1.ControllerUidLabel, batchv1.JobNameLabel)
	}
	for _, k := range keys {
		allErrs = append(allErrs, jobHasLabel(j.Spec.Template.Labels, tp, k, want[k])...)
	}
	if sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector); err == nil && !sel.Matches(labels.Set(want)) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "selector"), j.Spec.Selector, "`selector` not auto-generated"))
	}
	return allErrs
}

func jobHasLabel(have map[string]string, fldPath *field.Path, key, value string) field.ErrorList {
	p := fldPath.Child("labels").Key(key)
	got, ok := have[key]
	switch {
	case !ok:
		return field.ErrorList{field.Required(p, fmt.Sprintf("must be '%s'", value))}
	case got != value:
		return field.ErrorList{field.Invalid(p, have, fmt.Sprintf("must be '%s'", value))}
	}
	return nil
}

// jobNameAllowsCompletions checks that an indexed Job's last pod host name
// ("<name>-<completions-1>") is a DNS label.
func jobNameAllowsCompletions(j *batchv1.Job) field.ErrorList {
	if !jobIndexed(&j.Spec) || j.Spec.Completions == nil || *j.Spec.Completions <= 0 {
		return nil
	}
	host := fmt.Sprintf("%s-%d", j.Name, *j.Spec.Completions-1)
	if len(utilvalidation.IsDNS1123Label(host)) > 0 {
		return field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), j.Name,
			fmt.Sprintf("will not able to create pod with invalid DNS label: %s", host))}
	}
	return nil
}

func jobIndexed(spec *batchv1.JobSpec) bool {
	return spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
}

// jobSpec checks a Job's spec: jobSpecBody plus the selector, which must be set
// and match the template.
func jobSpec(spec *batchv1.JobSpec, p *field.Path, opts jobOptions) field.ErrorList {
	allErrs := jobSpecBody(spec, p)
	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(p.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector,
			metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: opts.allowInvalidSelectorValue}, p.Child("selector"))...)
	}
	if sel, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !sel.Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(p.Child("template", "metadata", "labels"), spec.Template.Labels, selectorMismatchMsg))
	}
	return allErrs
}

// jobSpecBody checks what a Job and a CronJob's job template share.
func jobSpecBody(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, f := range []struct {
		name string
		v    *int32
	}{{"parallelism", spec.Parallelism}, {"completions", spec.Completions}, {"backoffLimit", spec.BackoffLimit},
		{"ttlSecondsAfterFinished", spec.TTLSecondsAfterFinished}, {"backoffLimitPerIndex", spec.BackoffLimitPerIndex}} {
		if f.v != nil {
			allErrs = append(allErrs, nonNegative(int64(*f.v), p.Child(f.name))...)
		}
	}
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, nonNegative(*spec.ActiveDeadlineSeconds, p.Child("activeDeadlineSeconds"))...)
	}
	if spec.MaxFailedIndexes != nil {
		allErrs = append(allErrs, nonNegative(int64(*spec.MaxFailedIndexes), p.Child("maxFailedIndexes"))...)
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Required(p.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
		}
	}
	if spec.ManagedBy != nil {
		allErrs = append(allErrs, utilvalidation.IsDomainPrefixedPath(p.Child("managedBy"), *spec.ManagedBy)...)
		if len(*spec.ManagedBy) > jobMaxManagedByLength {
			allErrs = append(allErrs, field.TooLong(p.Child("managedBy"), "", jobMaxManagedByLength))
		}
	}
	allErrs = append(allErrs, jobCompletionMode(spec, p)...)
	if spec.PodFailurePolicy != nil {
		allErrs = append(allErrs, jobPodFailurePolicy(spec, p.Child("podFailurePolicy"))...)
	}
	if spec.SuccessPolicy != nil {
		if !jobIndexed(spec) {
			allErrs = append(allErrs, field.Invalid(p.Child("successPolicy"), *spec.SuccessPolicy, "requires indexed completion mode"))
		} else {
			allErrs = append(allErrs, jobSuccessPolicy(spec, p.Child("successPolicy"))...)
		}
	}
	if rp := spec.PodReplacementPolicy; rp != nil {
		switch {
		case spec.PodFailurePolicy != nil && *rp != batchv1.Failed:
			allErrs = append(allErrs, field.NotSupported(p.Child("podReplacementPolicy"), *rp, []batchv1.PodReplacementPolicy{batchv1.Failed}))
		case spec.PodFailurePolicy == nil && *rp != batchv1.Failed && *rp != batchv1.TerminatingOrFailed:
			allErrs = append(allErrs, field.NotSupported(p.Child("podReplacementPolicy"), *rp,
				[]batchv1.PodReplacementPolicy{batchv1.Failed, batchv1.TerminatingOrFailed}))
		}
	}
	allErrs = append(allErrs, jobGangMinCount(spec, p.Child("scheduling"))...)
	allErrs = append(allErrs, podTemplateSpec(&spec.Template, p.Child("template"))...)

	// Pods of a Job must end: the pod defaulting turns an unset restart policy into
	// Always, so both are reported as missing.
	rp := p.Child("template", "spec", "restartPolicy")
	switch policy := spec.Template.Spec.RestartPolicy; {
	case policy == corev1.RestartPolicyAlways || policy == "":
		allErrs = append(allErrs, field.Required(rp, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)))
	case policy != corev1.RestartPolicyOnFailure && policy != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.NotSupported(rp, policy, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	case spec.PodFailurePolicy != nil && policy != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.Invalid(rp, policy, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever)))
	}
	return allErrs
}

func jobCompletionMode(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if m := spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		allErrs = append(allErrs, field.NotSupported(p.Child("completionMode"), m, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
	}
	if !jobIndexed(spec) {
		if spec.CompletionMode == nil || *spec.CompletionMode == batchv1.NonIndexedCompletion {
			if spec.BackoffLimitPerIndex != nil {
				allErrs = append(allErrs, field.Invalid(p.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex, "requires indexed completion mode"))
			}
			if spec.MaxFailedIndexes != nil {
				allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "requires indexed completion mode"))
			}
		}
		return allErrs
	}
	idx := batchv1.IndexedCompletion
	if spec.Completions == nil {
		allErrs = append(allErrs, field.Required(p.Child("completions"), fmt.Sprintf("when completion mode is %s", idx)))
	}
	if spec.Parallelism != nil && *spec.Parallelism > jobMaxIndexedParallelism {
		allErrs = append(allErrs, field.Invalid(p.Child("parallelism"), *spec.Parallelism,
			fmt.Sprintf("must be less than or equal to %d when completion mode is %s", jobMaxIndexedParallelism, idx)))
	}
	if mfi := spec.MaxFailedIndexes; mfi != nil {
		if spec.Completions != nil && *mfi > *spec.Completions {
			allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *mfi, "must be less than or equal to completions"))
		}
		if *mfi > jobMaxFailedIndexes {
			allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *mfi, fmt.Sprintf("must be less than or equal to %d", jobMaxFailedIndexes)))
		}
	}
	if spec.Completions != nil && *spec.Completions > jobCompletionsSoftLimit && spec.BackoffLimitPerIndex != nil {
		suffix := fmt.Sprintf(" when completions are above %d and used with backoff limit per index", jobCompletionsSoftLimit)
		if spec.MaxFailedIndexes == nil {
			allErrs = append(allErrs, field.Required(p.Child("maxFailedIndexes"), fmt.Sprintf("must be specified when completions is above %d", jobCompletionsSoftLimit)))
		}
		if spec.Parallelism != nil && *spec.Parallelism > jobParallelismForHighCompletions {
			allErrs = append(allErrs, field.Invalid(p.Child("parallelism"), *spec.Parallelism,
				fmt.Sprintf("must be less than or equal to %d", jobParallelismForHighCompletions)+suffix))
		}
		if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > jobMaxFailedIndexesHighCompl {
			allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes,
				fmt.Sprintf("must be less than or equal to %d", jobMaxFailedIndexesHighCompl)+suffix))
		}
	}
	return allErrs
}

func jobPodFailurePolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rules := spec.PodFailurePolicy.Rules
	rp := p.Child("rules")
	if len(rules) > jobMaxPodFailureRules {
		allErrs = append(allErrs, field.TooMany(rp, len(rules), jobMaxPodFailureRules))
	}
	containers := map[string]bool{}
	for _, c := range spec.Template.Spec.Containers {
		containers[c.Name] = true
	}
	for _, c := range spec.Template.Spec.InitContainers {
		containers[c.Name] = true
	}
	for i := range rules {
		rule, p := &rules[i], rp.Index(i)
		ap := p.Child("action")
		switch {
		case rule.Action == "":
			allErrs = append(allErrs, field.Required(ap, fmt.Sprintf("valid values: %q", jobSortedValues(jobFailureActions))))
		case rule.Action == batchv1.PodFailurePolicyActionFailIndex:
			if spec.BackoffLimitPerIndex == nil {
				allErrs = append(allErrs, field.Invalid(ap, rule.Action, "requires the backoffLimitPerIndex to be set"))
			}
		case !slices.Contains(jobFailureActions, rule.Action):
			allErrs = append(allErrs, field.NotSupported(ap, rule.Action, jobSortedValues(jobFailureActions)))
		}
		if rule.OnExitCodes != nil {
			allErrs = append(allErrs, jobOnExitCodes(rule.OnExitCodes, p.Child("onExitCodes"), containers)...)
		}
		if len(rule.OnPodConditions) > 0 {
			cp := p.Child("onPodConditions")
			if len(rule.OnPodConditions) > jobMaxPodConditionPatterns {
				allErrs = append(allErrs, field.TooMany(cp, len(rule.OnPodConditions), jobMaxPodConditionPatterns))
			}
			for j, pat := range rule.OnPodConditions {
				allErrs = append(allErrs, qualifiedName(string(pat.Type), cp.Index(j).Child("type"))...)
				sp := cp.Index(j).Child("status")
				if pat.Status == "" {
					allErrs = append(allErrs, field.Required(sp, fmt.Sprintf("valid values: %q", jobSortedValues(jobConditionStatuses))))
				} else if !slices.Contains(jobConditionStatuses, pat.Status) {
					allErrs = append(allErrs, field.NotSupported(sp, pat.Status, jobSortedValues(jobConditionStatuses)))
				}
			}
		}
		switch {
		case rule.OnExitCodes != nil && len(rule.OnPodConditions) > 0:
			allErrs = append(allErrs, field.Invalid(p, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"))
		case rule.OnExitCodes == nil && len(rule.OnPodConditions) == 0:
			allErrs = append(allErrs, field.Invalid(p, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
		}
	}
	return allErrs
}

// jobSortedValues returns the values as sorted strings, the order of upstream's
// "valid values" lists.
func jobSortedValues[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	slices.Sort(out)
	return out
}

func jobOnExitCodes(req *batchv1.PodFailurePolicyOnExitCodesRequirement, p *field.Path, containers map[string]bool) field.ErrorList {
	var allErrs field.ErrorList
	op := p.Child("operator")
	if req.Operator == "" {
		allErrs = append(allErrs, field.Required(op, fmt.Sprintf("valid values: %q", jobSortedValues(jobExitCodeOperators))))
	} else if !slices.Contains(jobExitCodeOperators, req.Operator) {
		allErrs = append(allErrs, field.NotSupported(op, req.Operator, jobSortedValues(jobExitCodeOperators)))
	}
	if req.ContainerName != nil && !containers[*req.ContainerName] {
		allErrs = append(allErrs, field.Invalid(p.Child("containerName"), *req.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	vp := p.Child("values")
	if len(req.Values) == 0 {
		allErrs = append(allErrs, field.Invalid(vp, req.Values, "at least one value is required"))
	} else if len(req.Values) > jobMaxExitCodeValues {
		allErrs = append(allErrs, field.TooMany(vp, len(req.Values), jobMaxExitCodeValues))
	}
	seen := map[int32]bool{}
	ordered := true
	for j, v := range req.Values {
		if req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0 {
			allErrs = append(allErrs, field.Invalid(vp.Index(j), v, "must not be 0 for the In operator"))
		}
		if seen[v] {
			allErrs = append(allErrs, field.Duplicate(vp.Index(j), v))
		}
		seen[v] = true
		if j > 0 && req.Values[j-1] > v {
			ordered = false
		}
	}
	if !ordered {
		allErrs = append(allErrs, field.Invalid(vp, req.Values, "must be ordered"))
	}
	return allErrs
}

func jobSuccessPolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rules := spec.SuccessPolicy.Rules
	rp := p.Child("rules")
	if len(rules) == 0 {
		allErrs = append(allErrs, field.Required(rp, "at least one rules must be specified when the successPolicy is specified"))
	}
	if len(rules) > jobMaxSuccessRules {
		allErrs = append(allErrs, field.TooMany(rp, len(rules), jobMaxSuccessRules))
	}
	completions := int32Val(spec.Completions)
	for i, rule := range rules {
		p := rp.Index(i)
		if rule.SucceededCount == nil && rule.SucceededIndexes == nil {
			allErrs = append(allErrs, field.Required(p, "at least one of succeededCount or succeededIndexes must be specified"))
		}
		var total int32
		if rule.SucceededIndexes != nil {
			ip := p.Child("succeededIndexes")
			if len(*rule.SucceededIndexes) > jobMaxSucceededIndexesLength {
				allErrs = append(allErrs, field.TooLong(ip, "", jobMaxSucceededIndexesLength))
			}
			var err error
			if total, err = jobIndexes(*rule.SucceededIndexes, completions); err != nil {
				allErrs = append(allErrs, field.Invalid(ip, *rule.SucceededIndexes, fmt.Sprintf("error parsing succeededIndexes: %s", err.Error())))
			}
		}
		if rule.SucceededCount != nil {
			cp := p.Child("succeededCount")
			n := *rule.SucceededCount
			allErrs = append(allErrs, nonNegative(int64(n), cp)...)
			if n > completions {
				allErrs = append(allErrs, field.Invalid(cp, n, fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions)))
			}
			if rule.SucceededIndexes != nil && n > total {
				allErrs = append(allErrs, field.Invalid(cp, n, fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", total)))
			}
		}
	}
	return allErrs
}

// jobIndexes parses an index list such as "1,3-5,7" (increasing, each below
// completions) and returns how many indexes it holds.
func jobIndexes(list string, completions int32) (int32, error) {
	if list == "" {
		return 0, nil
	}
	var total int32
	last := int32(-1)
	for _, interval := range strings.Split(list, ",") {
		x, y, err := jobIndexInterval(interval, completions)
		if err != nil {
			return 0, err
		}
		if last >= x {
			return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", last, x)
		}
		total += y - x + 1
		last = y
	}
	return total, nil
}

func jobIndexInterval(interval string, completions int32) (int32, int32, error) {
	parts := strings.Split(interval, "-")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("the fragment %q violates the requirement that an index interval can have at most two parts separated by '-'", interval)
	}
	bounds := make([]int32, len(parts))
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, fmt.Errorf("cannot convert string to integer for index: %q", s)
		}
		if n >= int(completions) {
			return 0, 0, fmt.Errorf("too large index: %q", s)
		}
		bounds[i] = int32(n)
	}
	if len(bounds) == 1 {
		return bounds[0], bounds[0], nil
	}
	if bounds[0] >= bounds[1] {
		return 0, 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", bounds[0], bounds[1])
	}
	return bounds[0], bounds[1], nil
}

// jobGangMinCount rejects a gang minimum larger than the Job's parallelism.
func jobGangMinCount(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	if spec.Scheduling == nil || spec.Scheduling.SchedulingPolicy == nil || spec.Scheduling.SchedulingPolicy.Gang == nil {
		return nil
	}
	parallelism := int32(1)
	if spec.Parallelism != nil {
		parallelism = *spec.Parallelism
	}
	if mc := spec.Scheduling.SchedulingPolicy.Gang.MinCount; mc != nil && *mc > parallelism {
		return field.ErrorList{field.Invalid(p.Child("schedulingPolicy", "gang", "minCount"), *mc,
			fmt.Sprintf("must not be greater than parallelism (%d)", parallelism))}
	}
	return nil
}

// jobCompletionsUpdate: completions are fixed, except in an indexed Job where they
// may change together with parallelism (scaling an elastic indexed Job).
func jobCompletionsUpdate(spec, old *batchv1.JobSpec, p *field.Path) field.ErrorList {
	if !jobIndexed(spec) {
		return immutable(spec.Completions, old.Completions, p)
	}
	if apiequality.Semantic.DeepEqual(spec.Completions, old.Completions) || spec.Completions == nil {
		return nil
	}
	if *spec.Completions != int32Val(spec.Parallelism) {
		return field.ErrorList{field.Invalid(p, spec.Completions, fmt.Sprintf("can only be modified in tandem with %s", p.Root().Child("parallelism")))}
	}
	return nil
}

// jobTemplateUpdate keeps the pod template fixed; a suspended Job that has not
// started may change its scheduling directives, template labels and annotations
// and its containers' resources.
func jobTemplateUpdate(spec, old *batchv1.JobSpec, p *field.Path, opts jobOptions) field.ErrorList {
	tmpl := &spec.Template
	was := &old.Template
	if opts.mutableTemplate {
		was = old.Template.DeepCopy()
		switch {
		case tmpl.Spec.Affinity == nil && was.Spec.Affinity != nil:
			was.Spec.Affinity.NodeAffinity = nil
			if *was.Spec.Affinity == (corev1.Affinity{}) {
				was.Spec.Affinity = nil
			}
		case tmpl.Spec.Affinity != nil && was.Spec.Affinity == nil:
			was.Spec.Affinity = &corev1.Affinity{NodeAffinity: tmpl.Spec.Affinity.NodeAffinity}
		case tmpl.Spec.Affinity != nil:
			was.Spec.Affinity.NodeAffinity = tmpl.Spec.Affinity.NodeAffinity
		}
		was.Spec.NodeSelector = tmpl.Spec.NodeSelector
		was.Spec.Tolerations = tmpl.Spec.Tolerations
		was.Annotations = tmpl.Annotations
		was.Labels = tmpl.Labels
		was.Spec.SchedulingGates = tmpl.Spec.SchedulingGates
	}
	if !jobBoolTrue(old.Suspend) || !opts.mutableTemplate {
		return immutable(tmpl, was, p.Child("template"))
	}
	// Only container resources may differ beyond the directives above.
	withResources := was.Spec.DeepCopy()
	for _, pair := range [][2][]corev1.Container{{tmpl.Spec.Containers, withResources.Containers}, {tmpl.Spec.InitContainers, withResources.InitContainers}} {
		if len(pair[0]) != len(pair[1]) {
			continue
		}
		for i := range pair[0] {
			if pair[0][i].Name == pair[1][i].Name {
				pair[1][i].Resources = pair[0][i].Resources
			}
		}
	}
	return immutable(tmpl.Spec, *withResources, p.Child("template.spec"))
}

// ValidateJobStatusUpdate checks a status update as upstream does with the
// JobManagedBy checks on: counters, terminal conditions and index lists may only
// move forward, and each rule is enforced when the fields it reads changed.
func ValidateJobStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(j, old *batchv1.Job) field.ErrorList {
		return append(objectMetaUpdate(&j.ObjectMeta, &old.ObjectMeta), jobStatusUpdate(j, old)...)
	})
}

func jobCondition(list []batchv1.JobCondition, t batchv1.JobConditionType, status corev1.ConditionStatus) bool {
	return slices.ContainsFunc(list, func(c batchv1.JobCondition) bool { return c.Type == t && c.Status == status })
}

func jobTrue(j *batchv1.Job, t batchv1.JobConditionType) bool {
	return jobCondition(j.Status.Conditions, t, corev1.ConditionTrue)
}

func jobFinished(j *batchv1.Job) bool {
	return jobTrue(j, batchv1.JobComplete) || jobTrue(j, batchv1.JobFailed)
}

func jobStatusUpdate(j, old *batchv1.Job) field.ErrorList {
	s, was := &j.Status, &old.Status
	p := field.NewPath("status")
	cp := p.Child("conditions")
	var allErrs field.ErrorList
	add := func(errs ...*field.Error) { allErrs = append(allErrs, errs...) }

	changed := func(a, b bool) bool { return a != b }
	finishedChanged := changed(jobFinished(j), jobFinished(old))
	completeChanged := changed(jobTrue(j, batchv1.JobComplete), jobTrue(old, batchv1.JobComplete))
	failedChanged := changed(jobTrue(j, batchv1.JobFailed), jobTrue(old, batchv1.JobFailed))
	targetChanged := changed(jobTrue(j, batchv1.JobFailureTarget), jobTrue(old, batchv1.JobFailureTarget))
	criteriaChanged := changed(jobTrue(j, batchv1.JobSuccessCriteriaMet), jobTrue(old, batchv1.JobSuccessCriteriaMet))
	completedIdxChanged := s.CompletedIndexes != was.CompletedIndexes
	failedIdxChanged := !apiequality.Semantic.DeepEqual(s.FailedIndexes, was.FailedIndexes)
	activeChanged := s.Active != was.Active
	startChanged := !apiequality.Semantic.DeepEqual(s.StartTime, was.StartTime)
	completionChanged := !apiequality.Semantic.DeepEqual(s.CompletionTime, was.CompletionTime)
	uncountedChanged := !apiequality.Semantic.DeepEqual(s.UncountedTerminatedPods, was.UncountedTerminatedPods)
	readyChanged := !apiequality.Semantic.DeepEqual(s.Ready, was.Ready)
	terminatingChanged := !apiequality.Semantic.DeepEqual(s.Terminating, was.Terminating)
	suspendedZero := jobBoolTrue(j.Spec.Suspend) && j.Spec.Completions != nil && *j.Spec.Completions == 0
	resuming := jobCondition(was.Conditions, batchv1.JobSuspended, corev1.ConditionTrue) &&
		jobCondition(s.Conditions, batchv1.JobSuspended, corev1.ConditionFalse)
	complete, failed, finished := jobTrue(j, batchv1.JobComplete), jobTrue(j, batchv1.JobFailed), jobFinished(j)
	criteriaMet, target := jobTrue(j, batchv1.JobSuccessCriteriaMet), jobTrue(j, batchv1.JobFailureTarget)

	add(nonNegative(int64(s.Active), p.Child("active"))...)
	add(nonNegative(int64(s.Succeeded), p.Child("succeeded"))...)
	add(nonNegative(int64(s.Failed), p.Child("failed"))...)
	if s.Ready != nil {
		add(nonNegative(int64(*s.Ready), p.Child("ready"))...)
	}
	if s.Terminating != nil {
		add(nonNegative(int64(*s.Terminating), p.Child("terminating"))...)
	}
	add(jobUncounted(s.UncountedTerminatedPods, p.Child("uncountedTerminatedPods"))...)
	if (completeChanged || failedChanged) && complete && failed {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set Complete=True and Failed=true conditions"))
	}
	if (completeChanged || targetChanged) && complete && target {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set Complete=True and FailureTarget=true conditions"))
	}
	if completeChanged || completionChanged {
		if s.CompletionTime != nil && !complete {
			add(field.Invalid(p.Child("completionTime"), s.CompletionTime, "cannot set completionTime when there is no Complete=True condition"))
		}
		if s.CompletionTime == nil && complete {
			add(field.Required(p.Child("completionTime"), "completionTime is required for Complete jobs"))
		}
	}
	if (startChanged || completionChanged) && s.StartTime != nil && s.CompletionTime != nil && s.CompletionTime.Before(s.StartTime) {
		add(field.Invalid(p.Child("completionTime"), s.CompletionTime, "must be equal to or after `startTime`"))
	}
	if (failedChanged || failedIdxChanged) && failed && !target {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set Failed=True condition without the FailureTarget=true condition"))
	}
	if (completeChanged || criteriaChanged) && complete && !criteriaMet {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"))
	}
	if (finishedChanged || activeChanged) && s.Active > 0 && finished {
		add(field.Invalid(p.Child("active"), s.Active, "active>0 is invalid for finished job"))
	}
	if (finishedChanged || startChanged) && !suspendedZero && s.StartTime == nil && finished {
		add(field.Required(p.Child("startTime"), "startTime is required for finished job"))
	}
	if (finishedChanged || uncountedChanged) && finished && s.UncountedTerminatedPods != nil &&
		len(s.UncountedTerminatedPods.Failed)+len(s.UncountedTerminatedPods.Succeeded) > 0 {
		add(field.Invalid(p.Child("uncountedTerminatedPods"), s.UncountedTerminatedPods, "must be empty for finished job"))
	}
	add(jobIndexesStatus(j, completedIdxChanged, failedIdxChanged, p)...)
	if (finishedChanged || terminatingChanged) && s.Terminating != nil && *s.Terminating > 0 && finished {
		add(field.Invalid(p.Child("terminating"), s.Terminating, "terminating>0 is invalid for finished job"))
	}
	if (readyChanged || activeChanged) && s.Ready != nil && *s.Ready > s.Active {
		add(field.Invalid(p.Child("ready"), *s.Ready, "cannot set more ready pods than active"))
	}
	if criteriaMet && failed {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True and Failed=true conditions"))
	}
	if criteriaMet && target {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"))
	}
	if j.Spec.SuccessPolicy != nil && !criteriaMet && complete {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"))
	}

	for _, t := range []batchv1.JobConditionType{batchv1.JobFailed, batchv1.JobComplete, batchv1.JobFailureTarget} {
		if jobTrue(old, t) && !jobTrue(j, t) {
			add(field.Invalid(cp, field.OmitValueType{}, fmt.Sprintf("cannot disable the terminal %s=True condition", t)))
		}
	}
	if s.Failed < was.Failed {
		add(field.Invalid(p.Child("failed"), s.Failed, "cannot decrease the failed counter"))
	}
	// An elastic indexed Job (parallelism = completions) may scale down its count.
	elastic := jobIndexed(&j.Spec) && apiequality.Semantic.DeepEqual(j.Spec.Completions, j.Spec.Parallelism)
	if !elastic && s.Succeeded < was.Succeeded {
		add(field.Invalid(p.Child("succeeded"), s.Succeeded, "cannot decrease the succeeded counter"))
	}
	if s.CompletionTime != nil && was.CompletionTime != nil && !s.CompletionTime.Equal(was.CompletionTime) {
		add(field.Invalid(p.Child("completionTime"), s.CompletionTime, immutableMsg))
	}
	if startChanged && !resuming && was.StartTime != nil && !jobBoolTrue(j.Spec.Suspend) {
		add(field.Invalid(p.Child("startTime"), s.StartTime, "field is immutable for unsuspended job once set"))
	}
	if jobTrue(old, batchv1.JobSuccessCriteriaMet) && !criteriaMet {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot disable the SuccessCriteriaMet=True condition"))
	}
	if jobTrue(old, batchv1.JobComplete) && !jobTrue(old, batchv1.JobSuccessCriteriaMet) && criteriaMet {
		add(field.Invalid(cp, field.OmitValueType{}, "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"))
	}
	return allErrs
}

func jobUncounted(u *batchv1.UncountedTerminatedPods, p *field.Path) field.ErrorList {
	if u == nil {
		return nil
	}
	var allErrs field.ErrorList
	seen := map[types.UID]bool{}
	for _, list := range []struct {
		name string
		uids []types.UID
	}{{"succeeded", u.Succeeded}, {"failed", u.Failed}} {
		for i, uid := range list.uids {
			ip := p.Child(list.name).Index(i)
			switch {
			case uid == "":
				allErrs = append(allErrs, field.Invalid(ip, uid, "must not be empty"))
			case seen[uid]:
				allErrs = append(allErrs, field.Duplicate(ip, uid))
			default:
				seen[uid] = true
			}
		}
	}
	return allErrs
}

// jobIndexesStatus checks completedIndexes and failedIndexes when they changed.
func jobIndexesStatus(j *batchv1.Job, completedChanged, failedChanged bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	s := &j.Status
	completions := j.Spec.Completions
	if completedChanged && completions != nil {
		if _, err := jobIndexes(s.CompletedIndexes, *completions); err != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("completedIndexes"), s.CompletedIndexes, fmt.Sprintf("error parsing completedIndexes: %s", err.Error())))
		}
	}
	if failedChanged && completions != nil && j.Spec.BackoffLimitPerIndex != nil && s.FailedIndexes != nil {
		if _, err := jobIndexes(*s.FailedIndexes, *completions); err != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("failedIndexes"), s.FailedIndexes, fmt.Sprintf("error parsing failedIndexes: %s", err.Error())))
		}
	}
	if completedChanged && s.CompletedIndexes != "" && !jobIndexed(&j.Spec) {
		allErrs = append(allErrs, field.Invalid(p.Child("completedIndexes"), s.CompletedIndexes, "cannot set non-empty completedIndexes when non-indexed completion mode"))
	}
	if failedChanged && j.Spec.BackoffLimitPerIndex == nil && s.FailedIndexes != nil {
		allErrs = append(allErrs, field.Invalid(p.Child("failedIndexes"), *s.FailedIndexes, "cannot set non-null failedIndexes when backoffLimitPerIndex is null"))
	}
	if (failedChanged || completedChanged) && completions != nil && s.FailedIndexes != nil {
		if idx, ok := jobIndexesOverlap(s.CompletedIndexes, *s.FailedIndexes, *completions); ok {
			allErrs = append(allErrs, field.Invalid(p.Child("failedIndexes"), *s.FailedIndexes, fmt.Sprintf("failedIndexes and completedIndexes overlap at index: %d", idx)))
		}
	}
	return allErrs
}

// jobIndexesOverlap finds the first index in both lists, skipping intervals that
// do not parse (their format is reported separately).
func jobIndexesOverlap(completed, failed string, completions int32) (int32, bool) {
	if completed == "" || failed == "" {
		return 0, false
	}
	parse := func(list string) [][2]int32 {
		var out [][2]int32
		for _, s := range strings.Split(list, ",") {
			if x, y, err := jobIndexInterval(s, completions); err == nil {
				out = append(out, [2]int32{x, y})
			}
		}
		return out
	}
	c, f := parse(completed), parse(failed)
	for i, k := 0, 0; i < len(c) && k < len(f); {
		if c[i][0] <= f[k][1] && f[k][0] <= c[i][1] {
			return max(c[i][0], f[k][0]), true
		}
		if c[i][0] <= f[k][0] {
			i++
		} else {
			k++
		}
	}
	return 0, false
}

// ValidateCronJob checks a CronJob on create; its name leaves room for the suffix
// of the Jobs it creates.
func ValidateCronJob(obj runtime.Object) field.ErrorList {
	return create(obj, func(cj *batchv1.CronJob) field.ErrorList {
		allErrs := objectMeta(&cj.ObjectMeta, true, NameIsDNSSubdomain)
		allErrs = append(allErrs, cronJobSpec(&cj.Spec, nil)...)
		if len(cj.Name) > cronJobMaxNameLength {
			allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), cj.Name, fmt.Sprintf("must be no more than %d characters", cronJobMaxNameLength)))
		}
		return allErrs
	})
}

// ValidateCronJobUpdate checks a CronJob update; long names of old CronJobs stay
// acceptable.
func ValidateCronJobUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(cj, old *batchv1.CronJob) field.ErrorList {
		return append(objectMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta), cronJobSpec(&cj.Spec, &old.Spec)...)
	})
}

// ValidateCronJobStatusUpdate checks only metadata, as upstream.
func ValidateCronJobStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(cj, old *batchv1.CronJob) field.ErrorList {
		return objectMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta)
	})
}

func cronJobSpec(spec, old *batchv1.CronJobSpec) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	sp := p.Child("schedule")
	if spec.Schedule == "" {
		allErrs = append(allErrs, field.Required(sp, ""))
	} else {
		if err := cronParse(spec.Schedule); err != nil {
			allErrs = append(allErrs, field.Invalid(sp, spec.Schedule, err.Error()))
		}
		// A TZ prefix is tolerated only on CronJobs that already had one.
		allowTZ := old != nil && strings.Contains(old.Schedule, "TZ")
		hasTZ := strings.Contains(spec.Schedule, "TZ")
		switch {
		case allowTZ && hasTZ && spec.TimeZone != nil:
			allErrs = append(allErrs, field.Invalid(sp, spec.Schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
		case !allowTZ && hasTZ:
			allErrs = append(allErrs, field.Invalid(sp, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
		}
	}
	if spec.StartingDeadlineSeconds != nil {
		allErrs = append(allErrs, nonNegative(*spec.StartingDeadlineSeconds, p.Child("startingDeadlineSeconds"))...)
	}
	if old == nil || !apiequality.Semantic.DeepEqual(old.TimeZone, spec.TimeZone) {
		allErrs = append(allErrs, cronTimeZone(spec.TimeZone, p.Child("timeZone"))...)
	}
	cp := p.Child("concurrencyPolicy")
	switch spec.ConcurrencyPolicy {
	case batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	case "":
		allErrs = append(allErrs, field.Required(cp, ""))
	default:
		allErrs = append(allErrs, field.NotSupported(cp, spec.ConcurrencyPolicy,
			[]batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}))
	}
	jp := p.Child("jobTemplate", "spec")
	tmpl := &spec.JobTemplate.Spec
	allErrs = append(allErrs, jobSpecBody(tmpl, jp)...)
	if tmpl.Selector != nil {
		allErrs = append(allErrs, field.Invalid(jp.Child("selector"), tmpl.Selector, "`selector` will be auto-generated"))
	}
	if jobBoolTrue(tmpl.ManualSelector) {
		allErrs = append(allErrs, field.NotSupported(jp.Child("manualSelector"), tmpl.ManualSelector, []string{"nil", "false"}))
	}
	if spec.SuccessfulJobsHistoryLimit != nil {
		allErrs = append(allErrs, nonNegative(int64(*spec.SuccessfulJobsHistoryLimit), p.Child("successfulJobsHistoryLimit"))...)
	}
	if spec.FailedJobsHistoryLimit != nil {
		allErrs = append(allErrs, nonNegative(int64(*spec.FailedJobsHistoryLimit), p.Child("failedJobsHistoryLimit"))...)
	}
	return allErrs
}

// cronTimeZoneComponent is one '/'-separated part of an IANA zone name; digits and
// '+' are tolerated for legacy names.
var cronTimeZoneComponent = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

func cronTimeZone(tz *string, p *field.Path) field.ErrorList {
	if tz == nil {
		return nil
	}
	if *tz == "" {
		return field.ErrorList{field.Invalid(p, tz, "timeZone must be nil or non-empty string")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !cronTimeZoneComponent.MatchString(part) {
			return field.ErrorList{field.Invalid(p, tz, fmt.Sprintf("unknown time zone %s", *tz))}
		}
	}
	var allErrs field.ErrorList
	if strings.EqualFold(*tz, "Local") {
		allErrs = append(allErrs, field.Invalid(p, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		allErrs = append(allErrs, field.Invalid(p, tz, err.Error()))
	}
	return allErrs
}

// cronField is the range and names of one field of a standard cron schedule.
type cronField struct {
	min, max uint
	names    map[string]uint
}

var (
	cronMinutes = cronField{min: 0, max: 59}
	cronHours   = cronField{min: 0, max: 23}
	cronDays    = cronField{min: 1, max: 31}
	cronMonths  = cronField{min: 1, max: 12, names: map[string]uint{"jan": 1, "feb": 2, "mar": 3, "apr": 4,
		"may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	cronWeekdays = cronField{min: 0, max: 6, names: map[string]uint{"sun": 0, "mon": 1, "tue": 2, "wed": 3,
		"thu": 4, "fri": 5, "sat": 6}}
	cronDescriptors = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
		"@daily": true, "@midnight": true, "@hourly": true}
)

// cronParse checks a standard five-field cron schedule (or an @descriptor) with the
// grammar and error messages of the robfig/cron parser that kube-apiserver uses.
// A panic of that parser (a TZ= prefix without a schedule) is reported as upstream
// reports it.
func cronParse(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		space, eq := strings.Index(spec, " "), strings.Index(spec, "=")
		zone := spec[eq+1 : space] // panics without a space, as upstream
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("provided bad location %s: %v", zone, err)
		}
		spec = strings.TrimSpace(spec[space:])
	}
	if strings.HasPrefix(spec, "@") {
		return cronDescriptor(spec)
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), fields)
	}
	for i, f := range []cronField{cronMinutes, cronHours, cronDays, cronMonths, cronWeekdays} {
		for _, expr := range strings.FieldsFunc(fields[i], func(r rune) bool { return r == ',' }) {
			if err := cronRange(expr, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func cronDescriptor(spec string) error {
	if cronDescriptors[spec] {
		return nil
	}
	const every = "@every "
	if d, ok := strings.CutPrefix(spec, every); ok {
		if _, err := time.ParseDuration(d); err != nil {
			return fmt.Errorf("failed to parse duration %s: %s", spec, err)
		}
		return nil
	}
	return fmt.Errorf("unrecognized descriptor: %s", spec)
}

// cronRange checks one "a", "a-b", "*", "a/n", "a-b/n" or "*/n" term.
func cronRange(expr string, f cronField) error {
	rangeAndStep := strings.Split(expr, "/")
	bounds := strings.Split(rangeAndStep[0], "-")
	var start, end uint
	var err error
	if bounds[0] == "*" || bounds[0] == "?" {
		start, end = f.min, f.max
	} else {
		if start, err = cronValue(bounds[0], f.names); err != nil {
			return err
		}
		switch len(bounds) {
		case 1:
			end = start
		case 2:
			if end, err = cronValue(bounds[1], f.names); err != nil {
				return err
			}
		default:
			return fmt.Errorf("too many hyphens: %s", expr)
		}
	}
	step := uint(1)
	switch len(rangeAndStep) {
	case 1:
	case 2:
		if step, err = cronNumber(rangeAndStep[1]); err != nil {
			return err
		}
		// "a/n" means from a to the end of the range.
		if len(bounds) == 1 {
			end = f.max
		}
	default:
		return fmt.Errorf("too many slashes: %s", expr)
	}
	switch {
	case start < f.min:
		return fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, f.min, expr)
	case end > f.max:
		return fmt.Errorf("end of range (%d) above maximum (%d): %s", end, f.max, expr)
	case start > end:
		return fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	return nil
}

func cronValue(s string, names map[string]uint) (uint, error) {
	if n, ok := names[strings.ToLower(s)]; ok {
		return n, nil
	}
	return cronNumber(s)
}

func cronNumber(s string) (uint, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", s, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number (%d) not allowed: %s", n, s)
	}
	return uint(n), nil
}
