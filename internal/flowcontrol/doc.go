// Package flowcontrol is API Priority and Fairness (flowcontrol.apiserver.k8s.io/v1)
// and the max-in-flight limit used when it is off.
//
// The Controller follows the FlowSchemas and PriorityLevelConfigurations in storage,
// keeps each FlowSchema's Dangling condition true to its reference, and turns the
// configuration into priority levels: every limited level gets a nominal seat limit
// out of the server's --max-requests-inflight + --max-mutating-requests-inflight
// (ceil(total × shares ÷ Σ shares)), lends and borrows seats as upstream's periodic
// allocation does, and queues what it cannot run at once.
//
// A request is classified by the first FlowSchema (matchingPrecedence, then name)
// whose rules match its user and verb/resource/namespace or non-resource path. Its
// flow (schema name plus the ByUser/ByNamespace distinguisher) is shuffle-sharded to
// a hand of the level's queues and joins the shortest. Queues are served by
// start-time fair queuing: each request costs one unit of virtual time on its queue
// and the queue with the earliest virtual start is served next (upstream estimates
// seats and service time per request; kapi counts one seat per request).
//
// A watch holds its seat only while it initializes: until its handler first writes
// the response (the header of the event stream) or returns. Other long-running
// requests (exec, attach, proxy, log, port-forward) are not limited.
package flowcontrol
