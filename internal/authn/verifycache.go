package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// verifiedTTL bounds how long a chain that verified is trusted without checking its
// signatures again. Roots are part of the key, so a reloaded CA bundle takes effect
// at once; a certificate's expiry ends its entry early.
const verifiedTTL = 5 * time.Minute

// maxVerified bounds the entries; a full cache is emptied (clients reconnecting with
// new certificates refill it).
const maxVerified = 4096

// verifiedChains remembers client certificate chains that verified against a root
// pool for a key usage. Every request of a connection presents the same chain, and
// checking its signatures is the most expensive step of authenticating a request
// (an ECDSA verification per link), so it runs once per chain, not per request.
// Only successes are kept; a chain that fails is checked again each time.
type verifiedChains struct {
	mu      sync.Mutex
	entries map[verifiedKey]time.Time // chain → trusted until
}

type verifiedKey struct {
	roots *x509.CertPool
	usage x509.ExtKeyUsage
	chain [sha256.Size]byte
}

var clientChains verifiedChains

// verifyChain checks a chain's signatures (a variable so tests can count calls).
var verifyChain = func(leaf *x509.Certificate, opts x509.VerifyOptions) error {
	_, err := leaf.Verify(opts)
	return err
}

// verify checks certs[0], with certs[1:] as intermediates, against opts.Roots for
// opts.KeyUsages[0], from the cache when it verified recently.
func (v *verifiedChains) verify(certs []*x509.Certificate, opts x509.VerifyOptions) error {
	now := time.Now()
	key := verifiedKey{roots: opts.Roots, usage: opts.KeyUsages[0], chain: chainSum(certs)}
	v.mu.Lock()
	until, ok := v.entries[key]
	v.mu.Unlock()
	if ok && now.Before(until) {
		return nil
	}
	if err := verifyChain(certs[0], opts); err != nil {
		return err
	}
	until = now.Add(verifiedTTL)
	for _, c := range certs {
		if c.NotAfter.Before(until) {
			until = c.NotAfter
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil || len(v.entries) >= maxVerified {
		v.entries = make(map[verifiedKey]time.Time)
	}
	v.entries[key] = until
	return nil
}

// chainSum names a presented chain by its certificates' DER bytes.
func chainSum(certs []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, c := range certs {
		l := len(c.Raw)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(c.Raw)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
