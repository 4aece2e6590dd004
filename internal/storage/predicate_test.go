package storage

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSelectionPredicateMatches(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "n1"}}
	attrs := func(obj runtime.Object) (labels.Set, fields.Set, error) {
		p := obj.(*corev1.Pod)
		return labels.Set(p.Labels), fields.Set{"metadata.name": p.Name, "spec.nodeName": p.Spec.NodeName}, nil
	}
	onlyLabels := func(obj runtime.Object) (labels.Set, error) { return labels.Set(obj.(*corev1.Pod).Labels), nil }
	var attrCalls int
	countingAttrs := func(obj runtime.Object) (labels.Set, fields.Set, error) { attrCalls++; return attrs(obj) }
	failing := func(runtime.Object) (labels.Set, error) { return nil, errors.New("no labels") }

	tests := []struct {
		name      string
		pred      SelectionPredicate
		want      bool
		wantErr   bool
		wantAttrs int // calls of GetAttrs
	}{
		{name: "everything", pred: Everything, want: true},
		{name: "label match without fields", want: true,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), Field: fields.Everything(), GetAttrs: countingAttrs, GetLabels: onlyLabels}},
		{name: "label mismatch without fields", want: false,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "db"}), Field: fields.Everything(), GetAttrs: countingAttrs, GetLabels: onlyLabels}},
		{name: "a nil field selector is none", want: true,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), GetAttrs: countingAttrs, GetLabels: onlyLabels}},
		{name: "a field selector needs the attributes", want: false, wantAttrs: 1,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), Field: fields.OneTermEqualSelector("spec.nodeName", "n2"),
				GetAttrs: countingAttrs, GetLabels: onlyLabels}},
		{name: "labels and fields both match", want: true, wantAttrs: 1,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), Field: fields.OneTermEqualSelector("spec.nodeName", "n1"),
				GetAttrs: countingAttrs, GetLabels: onlyLabels}},
		{name: "without GetLabels the attributes are used", want: true, wantAttrs: 1,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), Field: fields.Everything(), GetAttrs: countingAttrs}},
		{name: "a GetLabels error is returned", wantErr: true,
			pred: SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"}), Field: fields.Everything(), GetAttrs: countingAttrs, GetLabels: failing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			attrCalls = 0
			got, err := tc.pred.Matches(pod)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Matches = %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
			if attrCalls != tc.wantAttrs {
				t.Errorf("GetAttrs called %d times, want %d", attrCalls, tc.wantAttrs)
			}
		})
	}
}
