package main

import (
	"testing"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

func TestFlowControlFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want server.FlowControlOptions
	}{
		{"defaults", nil, server.FlowControlOptions{MaxRequestsInflight: 400, MaxMutatingRequestsInflight: 200}},
		{"apf off", []string{"--enable-priority-and-fairness=false"}, server.FlowControlOptions{PriorityAndFairnessDisabled: true, MaxRequestsInflight: 400, MaxMutatingRequestsInflight: 200}},
		{"apf on bare", []string{"--enable-priority-and-fairness"}, server.FlowControlOptions{MaxRequestsInflight: 400, MaxMutatingRequestsInflight: 200}},
		{"limits", []string{"--max-requests-inflight=10", "--max-mutating-requests-inflight=0"}, server.FlowControlOptions{MaxRequestsInflight: 10, MaxMutatingRequestsInflight: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pflag.NewFlagSet("kapi", pflag.ContinueOnError)
			var o server.FlowControlOptions
			addFlowControlFlags(f, &o)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if o != tt.want {
				t.Errorf("got %+v, want %+v", o, tt.want)
			}
		})
	}
	f := pflag.NewFlagSet("kapi", pflag.ContinueOnError)
	addFlowControlFlags(f, &server.FlowControlOptions{})
	if err := f.Parse([]string{"--max-requests-inflight=x"}); err == nil {
		t.Error("a non-number was accepted")
	}
}
