package filters

// requestStackReserve is the stack a request's goroutine gets before it runs the
// handler chain: the runtime then gives it a 32 KiB stack, which ConfigMap and Pod
// creates (admission, managed fields, storage) did not outgrow in profiles.
const requestStackReserve = 24 << 10

// growStack grows the calling goroutine's stack in one step. A new goroutine starts
// with the runtime's average stack size, small in a server whose goroutines are
// mostly parked watches and informers; a create through the filter chain, managed
// fields and storage outgrew it several times, each time copying and adjusting
// every frame: 9% of kapi's CPU under ConfigMap creates, 1% after this. Called
// while the stack is shallow, it makes one cheap copy instead.
func growStack() { _ = reserveStack(0) }

// reserveStack has a frame of requestStackReserve bytes; reading buf keeps the
// compiler from dropping it.
//
//go:noinline
func reserveStack(i int) byte {
	var buf [requestStackReserve]byte
	return buf[i]
}
