package encryptionconfig

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// providerView renders a provider in validation errors the way upstream's error shows
// its internal type (Go field names), except that secrets are never shown.
type providerView struct {
	AESGCM    *keysView
	AESCBC    *keysView
	Secretbox *keysView
	Identity  *struct{}
	KMS       *kmsView
}

type keysView struct {
	Keys []keyView
}

type keyView struct {
	Name   string
	Secret string
}

type kmsView struct {
	APIVersion string
	Name       string
	CacheSize  *int32
	Endpoint   string
	Timeout    *metav1.Duration
}

func redacted(p ProviderConfiguration) providerView {
	keys := func(ks []Key) *keysView {
		v := &keysView{}
		if ks != nil {
			v.Keys = make([]keyView, 0, len(ks))
		}
		for _, k := range ks {
			v.Keys = append(v.Keys, keyView{Name: k.Name, Secret: "REDACTED"})
		}
		return v
	}
	var v providerView
	if p.AESGCM != nil {
		v.AESGCM = keys(p.AESGCM.Keys)
	}
	if p.AESCBC != nil {
		v.AESCBC = keys(p.AESCBC.Keys)
	}
	if p.Secretbox != nil {
		v.Secretbox = keys(p.Secretbox.Keys)
	}
	if p.Identity != nil {
		v.Identity = &struct{}{}
	}
	if p.KMS != nil {
		v.KMS = &kmsView{APIVersion: p.KMS.APIVersion, Name: p.KMS.Name, CacheSize: p.KMS.CacheSize, Endpoint: p.KMS.Endpoint, Timeout: p.KMS.Timeout}
	}
	return v
}
