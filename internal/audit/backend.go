package audit

import "fmt"

// Backend receives audit events.
type Backend interface {
	// ProcessEvents records events (which the backend may keep: callers never change
	// them afterwards). It returns false when an event could not be recorded. Blocking
	// backends return only once the events are written; it is called concurrently.
	ProcessEvents(events ...*Event) bool
	// Shutdown flushes everything still buffered and releases the backend. It is
	// called once, after the last ProcessEvents.
	Shutdown()
}

// The backend modes of --audit-log-mode and --audit-webhook-mode.
const (
	// ModeBatch buffers events and sends them in batches from a goroutine; a full
	// buffer drops events (counted).
	ModeBatch = "batch"
	// ModeBlocking sends every event before the request goes on; failures are counted
	// and ignored.
	ModeBlocking = "blocking"
	// ModeBlockingStrict is ModeBlocking where failing to record the RequestReceived
	// stage fails the request.
	ModeBlockingStrict = "blocking-strict"
)

// AllowedModes are the modes in upstream's order, for messages.
var AllowedModes = []string{ModeBatch, ModeBlocking, ModeBlockingStrict}

// WithMode wraps delegate for mode: batch buffers it, blocking hides its failures,
// blocking-strict leaves it as is.
func WithMode(delegate Backend, mode string, batch BatchConfig, m *Metrics) (Backend, error) {
	switch mode {
	case ModeBlockingStrict:
		return delegate, nil
	case ModeBlocking:
		return ignoreErrors{delegate}, nil
	case ModeBatch:
		return NewBuffered(delegate, batch, m), nil
	}
	return nil, fmt.Errorf("unknown audit backend mode %q", mode)
}

// ignoreErrors reports success whatever its backend says (the backend counted the loss).
type ignoreErrors struct{ Backend }

func (b ignoreErrors) ProcessEvents(events ...*Event) bool {
	b.Backend.ProcessEvents(events...)
	return true
}

// Union sends every event to each backend; it succeeds when all of them did.
type Union []Backend

// ProcessEvents implements Backend.
func (u Union) ProcessEvents(events ...*Event) bool {
	ok := true
	for _, b := range u {
		ok = b.ProcessEvents(events...) && ok
	}
	return ok
}

// Shutdown implements Backend.
func (u Union) Shutdown() {
	for _, b := range u {
		b.Shutdown()
	}
}
