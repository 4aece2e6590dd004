package apis

import (
	"encoding/json"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	resourcev1 "k8s.io/api/resource/v1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	storagemigrationv1beta1 "k8s.io/api/storagemigration/v1beta1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerConversions adds the conversions between served versions that share one
// stored type.
func registerConversions(s *runtime.Scheme) error {
	registerAutoscalingConversions(s)
	if err := registerCRDConversions(s); err != nil {
		return err
	}
	if err := registerSameShapeConversions(s); err != nil {
		return err
	}
	if err := s.AddConversionFunc((*corev1.Event)(nil), (*eventsv1.Event)(nil), func(a, b any, _ conversion.Scope) error {
		coreToEvents(a.(*corev1.Event), b.(*eventsv1.Event))
		return nil
	}); err != nil {
		return err
	}
	return s.AddConversionFunc((*eventsv1.Event)(nil), (*corev1.Event)(nil), func(a, b any, _ conversion.Scope) error {
		eventsToCore(a.(*eventsv1.Event), b.(*corev1.Event))
		return nil
	})
}

// coreToEvents maps a core/v1 Event onto events.k8s.io/v1: involvedObject becomes
// regarding, message becomes note, and the legacy fields move to deprecated*.
func coreToEvents(in *corev1.Event, out *eventsv1.Event) {
	*out = eventsv1.Event{
		TypeMeta:                 out.TypeMeta,
		ObjectMeta:               in.ObjectMeta,
		EventTime:                in.EventTime,
		ReportingController:      in.ReportingController,
		ReportingInstance:        in.ReportingInstance,
		Action:                   in.Action,
		Reason:                   in.Reason,
		Regarding:                in.InvolvedObject,
		Related:                  in.Related,
		Note:                     in.Message,
		Type:                     in.Type,
		DeprecatedSource:         in.Source,
		DeprecatedFirstTimestamp: in.FirstTimestamp,
		DeprecatedLastTimestamp:  in.LastTimestamp,
		DeprecatedCount:          in.Count,
	}
	if in.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
}

func eventsToCore(in *eventsv1.Event, out *corev1.Event) {
	*out = corev1.Event{
		TypeMeta:            out.TypeMeta,
		ObjectMeta:          in.ObjectMeta,
		InvolvedObject:      in.Regarding,
		Reason:              in.Reason,
		Message:             in.Note,
		Source:              in.DeprecatedSource,
		FirstTimestamp:      in.DeprecatedFirstTimestamp,
		LastTimestamp:       in.DeprecatedLastTimestamp,
		Count:               in.DeprecatedCount,
		Type:                in.Type,
		EventTime:           in.EventTime,
		Action:              in.Action,
		Related:             in.Related,
		ReportingController: in.ReportingController,
		ReportingInstance:   in.ReportingInstance,
	}
	if in.Series != nil {
		out.Series = &corev1.EventSeries{Count: in.Series.Count, LastObservedTime: in.Series.LastObservedTime}
	}
}

// EventsV1 returns the events.k8s.io/v1 view of a stored core/v1 Event.
func EventsV1(in *corev1.Event) *eventsv1.Event {
	out := &eventsv1.Event{}
	coreToEvents(in, out)
	return out
}

// sameShape lists type pairs whose versions carry the same fields under the same JSON
// names: resources served as v1 that upstream still encodes in etcd as a beta version.
var sameShape = [][2]runtime.Object{
	{&certificatesv1.ClusterTrustBundle{}, &certificatesv1beta1.ClusterTrustBundle{}},
	{&certificatesv1.PodCertificateRequest{}, &certificatesv1beta1.PodCertificateRequest{}},
	{&storagemigrationv1.StorageVersionMigration{}, &storagemigrationv1beta1.StorageVersionMigration{}},
	{&resourcev1.DeviceTaintRule{}, &resourcev1beta2.DeviceTaintRule{}},
}

// registerSameShapeConversions converts each sameShape pair through JSON, which
// carries every field because the shapes match.
func registerSameShapeConversions(s *runtime.Scheme) error {
	viaJSON := func(a, b any, _ conversion.Scope) error {
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return json.Unmarshal(data, b)
	}
	for _, pair := range sameShape {
		if err := s.AddConversionFunc(pair[0], pair[1], viaJSON); err != nil {
			return err
		}
		if err := s.AddConversionFunc(pair[1], pair[0], viaJSON); err != nil {
			return err
		}
	}
	return nil
}
