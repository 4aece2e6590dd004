package main

import (
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantErr    string
		wantPhases []string
		check      func(*testing.T, *options)
	}{
		{name: "defaults", wantPhases: allPhases, check: func(t *testing.T, o *options) {
			if o.scale != 1 || o.clients != 32 || o.settle != 5*time.Second || o.keep {
				t.Errorf("defaults: %+v", o)
			}
		}},
		{name: "start kapi with args", args: []string{"--start-kapi", "/bin/kapi", "--kapi-arg=--v=2", "--kapi-arg", "--x=y", "--scale", "0.02"},
			wantPhases: allPhases, check: func(t *testing.T, o *options) {
				if o.startKapi != "/bin/kapi" || o.scale != 0.02 || !slices.Equal(o.kapiArgs, []string{"--v=2", "--x=y"}) {
					t.Errorf("got %+v", o)
				}
			}},
		{name: "only two", args: []string{"--only", "watch, crds"}, wantPhases: []string{"crds", "watch"}},
		{name: "list brings pods", args: []string{"--only=list"}, wantPhases: []string{"list", "pods"}},
		{name: "unknown phase", args: []string{"--only=bogus"}, wantErr: `unknown phase "bogus"`},
		{name: "zero scale", args: []string{"--scale=0"}, wantErr: "--scale must be"},
		{name: "NaN scale", args: []string{"--scale=NaN"}, wantErr: "--scale must be"},
		{name: "no clients", args: []string{"--clients=0"}, wantErr: "--clients must be"},
		{name: "negative pid", args: []string{"--pid=-3"}, wantErr: "--pid must be"},
		{name: "pid and start", args: []string{"--pid=3", "--start-kapi=k"}, wantErr: "exclude each other"},
		{name: "negative settle", args: []string{"--settle=-1s"}, wantErr: "--settle"},
		{name: "positional", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parseOptions(c.args, io.Discard)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(maps.Keys(o.phases))
			want := slices.Sorted(slices.Values(c.wantPhases))
			if !slices.Equal(got, want) {
				t.Errorf("phases %v, want %v", got, want)
			}
			if c.check != nil {
				c.check(t, o)
			}
		})
	}
}
