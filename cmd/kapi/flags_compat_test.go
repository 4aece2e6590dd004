package main

import (
	"maps"
	"os"
	"strings"
	"testing"
)

func TestParseFeatureGates(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]bool
		wantErr string
	}{
		{"two", "A=true,B=false", map[string]bool{"A": true, "B": false}, ""},
		{"spaces and empty pairs", " A = true ,, ", map[string]bool{"A": true}, ""},
		{"no value", "A", nil, "missing bool value for A"},
		{"not a bool", "A=yes", nil, `invalid value of A=yes, err: strconv.ParseBool: parsing "yes": invalid syntax`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFeatureGates(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestClusterFlagsParse: the command lines of kubeadm and hand-built clusters parse.
func TestClusterFlagsParse(t *testing.T) {
	cmd := newCommand()
	args := []string{"--allow-privileged=true", "--runtime-config=api/all=true,batch/v1=true", "--runtime-config=apps/v1", "--feature-gates=A=true",
		"--feature-gates=B=false", "--apiserver-count=3", "--event-ttl=2h", "--livez-grace-period=10s", "--external-hostname=api.example",
		"--permit-port-sharing", "--goaway-chance=0.001", "--strict-transport-security-directives=max-age=31536000", "--cors-allowed-origins=//a\\.example(:|$)"}
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	if v := cmd.Flags().Lookup("feature-gates").Value.String(); v != "A=true,B=false" {
		t.Errorf("feature gates %q, want both flags' pairs", v)
	}
	if v := cmd.Flags().Lookup("runtime-config").Value.String(); v != "api/all=true,apps/v1=,batch/v1=true" {
		t.Errorf("runtime config %q", v)
	}
}

// TestSystemdUnitFlagsParse: the flags of deploy/kapi.service are kapi's.
func TestSystemdUnitFlagsParse(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/kapi.service")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	inExec := false
	for _, line := range strings.Split(string(unit), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "ExecStart=") {
			inExec = true
			continue
		}
		if !inExec {
			continue
		}
		args = append(args, strings.TrimSpace(strings.TrimSuffix(line, "\\")))
		if !strings.HasSuffix(line, "\\") {
			break
		}
	}
	if len(args) < 5 {
		t.Fatalf("found %d flags in ExecStart: %q", len(args), args)
	}
	if err := newCommand().Flags().Parse(args); err != nil {
		t.Fatalf("the unit's flags: %v", err)
	}
}

func TestFixedFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--storage-backend=etcd3", "--storage-media-type=application/vnd.kubernetes.protobuf", "--watch-cache", "--watch-cache=true", "--endpoint-reconciler-type=lease", "--enable-garbage-collector"}, ""},
		{[]string{"--enable-garbage-collector=false"}, "kapi supports only --enable-garbage-collector=true"},
		{[]string{"--storage-backend=etcd2"}, "kapi supports only --storage-backend=etcd3"},
		{[]string{"--storage-media-type=application/json"}, "kapi supports only --storage-media-type=application/vnd.kubernetes.protobuf"},
		{[]string{"--watch-cache=false"}, "kapi supports only --watch-cache=true"},
		{[]string{"--endpoint-reconciler-type=none"}, "kapi supports only --endpoint-reconciler-type=lease"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := newCommand().Flags().Parse(tc.args)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestGateOn(t *testing.T) {
	gates := map[string]bool{"APIResponseCompression": false, "Other": true}
	if gateOn(gates, "APIResponseCompression", true) {
		t.Error("a gate turned off stays on")
	}
	if !gateOn(nil, "APIResponseCompression", true) {
		t.Error("a gate not given is not its default")
	}
}
