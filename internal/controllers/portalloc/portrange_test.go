package portalloc

import "testing"

func TestParseRange(t *testing.T) {
	tests := []struct {
		name, in string
		want     Range
		wantErr  bool
	}{
		{name: "default", in: "30000-32767", want: DefaultRange},
		{name: "single port", in: "30000", want: Range{Base: 30000, Size: 1}},
		{name: "spaces", in: " 1000-1009 ", want: Range{Base: 1000, Size: 10}},
		{name: "empty", in: "", wantErr: true},
		{name: "reversed", in: "2000-1000", wantErr: true},
		{name: "too high", in: "60000-70000", wantErr: true},
		{name: "negative", in: "-5-10", wantErr: true},
		{name: "not a number", in: "a-b", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRange(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseRange(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err == nil && got.String() != tc.in && tc.name == "default" {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func TestStaticBand(t *testing.T) {
	tests := []struct {
		name string
		size int
		want int
	}{
		{name: "tiny range has none", size: 16, want: 0},
		{name: "small range gets the minimum", size: 100, want: 16},
		{name: "default range", size: 2768, want: 86},
		{name: "large range is capped", size: 20000, want: 128},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Range{Base: 1, Size: tc.size}).staticBand(); got != tc.want {
				t.Fatalf("staticBand = %d, want %d", got, tc.want)
			}
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"30000-32767", "1", "-", "0-65535", "99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRange(s)
		if err != nil {
			return
		}
		if r.Size < 1 || r.Base < 0 || r.Base+r.Size-1 > 65535 {
			t.Fatalf("ParseRange(%q) accepted %+v", s, r)
		}
		back, err := ParseRange(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v, %v", s, back, err)
		}
	})
}
