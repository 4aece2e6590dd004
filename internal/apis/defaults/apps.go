package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func deployment(d *appsv1.Deployment) {
	spec := &d.Spec
	ptrOrDefault(&spec.Replicas, 1)
	orDefault(&spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		ptrOrDefault(&spec.Strategy.RollingUpdate.MaxUnavailable, intstr.FromString("25%"))
		ptrOrDefault(&spec.Strategy.RollingUpdate.MaxSurge, intstr.FromString("25%"))
	}
	ptrOrDefault(&spec.RevisionHistoryLimit, 10)
	ptrOrDefault(&spec.ProgressDeadlineSeconds, 600)
	podSpec(&spec.Template.Spec)
}

func replicaSet(rs *appsv1.ReplicaSet) {
	ptrOrDefault(&rs.Spec.Replicas, 1)
	podSpec(&rs.Spec.Template.Spec)
}

// daemonSet defaults to replacing one node's pod at a time, never running two
// pods of the set on a node at once.
func daemonSet(ds *appsv1.DaemonSet) {
	strategy := &ds.Spec.UpdateStrategy
	orDefault(&strategy.Type, appsv1.RollingUpdateDaemonSetStrategyType)
	if strategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if strategy.RollingUpdate == nil {
			strategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		ptrOrDefault(&strategy.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		ptrOrDefault(&strategy.RollingUpdate.MaxSurge, intstr.FromInt32(0))
	}
	ptrOrDefault(&ds.Spec.RevisionHistoryLimit, 10)
	podSpec(&ds.Spec.Template.Spec)
}

// statefulSet defaults a StatefulSet. A rollingUpdate block is created only
// when the strategy type itself was defaulted; an explicit RollingUpdate type
// without the block keeps it nil, as upstream does.
func statefulSet(ss *appsv1.StatefulSet) {
	spec := &ss.Spec
	orDefault(&spec.PodManagementPolicy, appsv1.OrderedReadyPodManagement)
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if ru := spec.UpdateStrategy.RollingUpdate; spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && ru != nil {
		ptrOrDefault(&ru.Partition, 0)
		// MaxUnavailableStatefulSet is on by default in v1.37.
		ptrOrDefault(&ru.MaxUnavailable, intstr.FromInt32(1))
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	retention := spec.PersistentVolumeClaimRetentionPolicy
	orDefault(&retention.WhenDeleted, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	orDefault(&retention.WhenScaled, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	ptrOrDefault(&spec.Replicas, 1)
	ptrOrDefault(&spec.RevisionHistoryLimit, 10)

	podSpec(&spec.Template.Spec)
	for i := range spec.VolumeClaimTemplates {
		persistentVolumeClaim(&spec.VolumeClaimTemplates[i])
	}
}
