package controlplane

import (
	"testing"
)

func TestParseSelection(t *testing.T) {
	all := map[string]bool{ServiceAccount: true, RootCACertPublisher: true}
	none := map[string]bool{ServiceAccount: false, RootCACertPublisher: false}
	tests := []struct {
		name    string
		values  []string
		want    map[string]bool
		wantErr string
	}{
		{name: "star turns on every default controller", values: []string{"*"}, want: all},
		{name: "empty list turns everything off", values: []string{}, want: none},
		{name: "nil list turns everything off", values: nil, want: none},
		{name: "named controller only", values: []string{ServiceAccount}, want: map[string]bool{ServiceAccount: true, RootCACertPublisher: false}},
		{name: "star minus one", values: []string{"*", "-" + ServiceAccount}, want: map[string]bool{ServiceAccount: false, RootCACertPublisher: true}},
		{name: "explicit off beats star whatever the order", values: []string{"-" + RootCACertPublisher, "*"}, want: map[string]bool{ServiceAccount: true, RootCACertPublisher: false}},
		{name: "old alias", values: []string{"serviceaccount", "-root-ca-cert-publisher"}, want: map[string]bool{ServiceAccount: true, RootCACertPublisher: false}},
		{name: "blank entries are ignored", values: []string{" ", "*"}, want: all},
		{name: "unknown name", values: []string{"*", "-bogus"}, wantErr: `"-bogus" is not in the list of known controllers`},
		{name: "bare dash", values: []string{"-"}, wantErr: `"-" is not in the list of known controllers`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ParseSelection(tt.values)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			anyOn := false
			for name, want := range tt.want {
				if got := sel.Enabled(name); got != want {
					t.Errorf("Enabled(%s) = %v, want %v", name, got, want)
				}
				anyOn = anyOn || want
			}
			if sel.Any() != anyOn {
				t.Errorf("Any() = %v, want %v", sel.Any(), anyOn)
			}
		})
	}
}

func FuzzParseSelection(f *testing.F) {
	for _, seed := range []string{"*", "-*", "serviceaccount", "-", "", "--x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sel, err := ParseSelection([]string{v})
		if err == nil && sel.enabled == nil {
			t.Fatal("nil selection without error")
		}
	})
}
