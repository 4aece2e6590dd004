package main

import (
	"strconv"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// addFlowControlFlags registers kube-apiserver's flow-control flags with upstream's
// defaults.
func addFlowControlFlags(f *pflag.FlagSet, o *server.FlowControlOptions) {
	o.PriorityAndFairnessDisabled = false
	o.MaxRequestsInflight = server.DefaultMaxRequestsInflight
	o.MaxMutatingRequestsInflight = server.DefaultMaxMutatingRequestsInflight
	f.Var((*invertedBool)(&o.PriorityAndFairnessDisabled), "enable-priority-and-fairness", "If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness")
	f.Lookup("enable-priority-and-fairness").NoOptDefVal = "true"
	f.Var((*inflightLimit)(&o.MaxRequestsInflight), "max-requests-inflight", "This and --max-mutating-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of non-mutating requests in flight, or a zero value disables the limit completely.")
	f.Var((*inflightLimit)(&o.MaxMutatingRequestsInflight), "max-mutating-requests-inflight", "This and --max-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of mutating requests in flight, or a zero value disables the limit completely.")
}

// invertedBool is a flag that sets the negation of its value: the options say
// "disabled" so that their zero value keeps the feature on.
type invertedBool bool

func (b *invertedBool) String() string { return strconv.FormatBool(!bool(*b)) }
func (b *invertedBool) Type() string   { return "bool" }
func (b *invertedBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b = invertedBool(!v)
	return nil
}

// inflightLimit is a max-in-flight flag: the flag's 0 (no limit) is stored as -1,
// since the options' 0 means the default.
type inflightLimit int

func (l *inflightLimit) String() string {
	if *l < 0 {
		return "0"
	}
	return strconv.Itoa(int(*l))
}
func (l *inflightLimit) Type() string { return "int" }
func (l *inflightLimit) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	if v == 0 {
		v = -1
	}
	*l = inflightLimit(v)
	return nil
}
