package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/munnerz/goautoneg"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The z-pages, /statusz and /flagz, are upstream's debugging pages (beta and on by
// default since v1.36). Without an Accept header, or for text/plain or */*, they
// are plain text with a random key-value delimiter, so that nobody parses them;
// their structured form (JSON or YAML of kind Statusz or Flagz in
// config.k8s.io/v1beta1, or the deprecated v1alpha1) must be asked for by name.

// zpageComponent is the name the z-pages give the server, as upstream's do.
const zpageComponent = "apiserver"

const zpageHeader = "\n%s %s\nWarning: This endpoint is not meant to be machine parseable, has no formatting compatibility guarantees and is for debugging purposes only.\n"

// zpageDelimiters are the key-value delimiters the text form picks from.
var zpageDelimiters = []string{":", ": ", "=", " "}

// statuszObject is the structured /statusz.
type statuszObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	StartTime         metav1.Time `json:"startTime"`
	UptimeSeconds     int64       `json:"uptimeSeconds"`
	GoVersion         string      `json:"goVersion"`
	BinaryVersion     string      `json:"binaryVersion"`
	EmulationVersion  string      `json:"emulationVersion,omitempty"`
	Paths             []string    `json:"paths"`
}

// flagzObject is the structured /flagz.
type flagzObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Flags             map[string]string `json:"flags,omitempty"`
}

// statuszPaths are the top-level folders of listed that /statusz shows: the
// debugging endpoints, not the API's, nor /statusz itself (upstream's lists the
// paths installed before it).
func statuszPaths(listed []string) []string {
	var out []string
	for _, p := range listed {
		folder, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		switch folder {
		case "", "api", "apis", "openid", "openapi", ".well-known", "statusz":
			continue
		}
		out = append(out, "/"+folder)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// statuszHandler serves /statusz for a server started at start whose listed paths
// are paths.
func statuszHandler(start time.Time, paths []string) http.Handler {
	return zpageHandler("statusz", func(w http.ResponseWriter, kind, version string) {
		binary := strings.TrimPrefix(Version.GitVersion, "v")
		emulation := Version.Major + "." + Version.Minor
		if kind == "" {
			delim := zpageDelimiters[rand.IntN(len(zpageDelimiters))]
			fmt.Fprintf(w, "\nStarted%[1]s %[2]s\nUp%[1]s %[3]s\nGo version%[1]s %[4]s\nBinary version%[1]s %[5]s\nEmulation version%[1]s %[6]s\nPaths%[1]s %[7]s\n",
				delim, start.Format(time.UnixDate), uptime(start), runtime.Version(), binary, emulation, strings.Join(paths, " "))
			return
		}
		writeZpageObject(w, &statuszObject{
			TypeMeta:      metav1.TypeMeta{Kind: kind, APIVersion: "config.k8s.io/" + version},
			ObjectMeta:    metav1.ObjectMeta{Name: zpageComponent},
			StartTime:     metav1.NewTime(start),
			UptimeSeconds: max(0, int64(time.Since(start).Seconds())),
			GoVersion:     runtime.Version(), BinaryVersion: binary, EmulationVersion: emulation,
			Paths: paths,
		})
	})
}

// flagzHandler serves /flagz with the flags flags returns, name to value.
func flagzHandler(flags func() map[string]string) http.Handler {
	return zpageHandler("flagz", func(w http.ResponseWriter, kind, version string) {
		values := flags()
		if kind == "" {
			delim := zpageDelimiters[rand.IntN(len(zpageDelimiters))]
			for _, name := range slices.Sorted(maps.Keys(values)) {
				fmt.Fprintf(w, "%s%s%s\n", name, delim, values[name])
			}
			return
		}
		writeZpageObject(w, &flagzObject{
			TypeMeta:   metav1.TypeMeta{Kind: kind, APIVersion: "config.k8s.io/" + version},
			ObjectMeta: metav1.ObjectMeta{Name: zpageComponent},
			Flags:      values,
		})
	})
}

// zpageHandler negotiates a z-page's form: write gets an empty kind for text, or
// the structured kind and version asked for, with the Content-Type set.
func zpageHandler(page string, write func(w http.ResponseWriter, kind, version string)) http.Handler {
	kind := strings.ToUpper(page[:1]) + page[1:] // Statusz, Flagz
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept := strings.TrimSpace(r.Header.Get("Accept"))
		if accept == "" {
			writeZpageText(w, page, write)
			return
		}
		for _, c := range goautoneg.ParseAccept(accept) {
			switch {
			case (c.Type == "text" || c.Type == "*") && (c.SubType == "plain" || c.SubType == "*") && len(c.Params) == 0:
				writeZpageText(w, page, write)
				return
			case c.Type == "application" && (c.SubType == "json" || c.SubType == "yaml") &&
				c.Params["g"] == "config.k8s.io" && c.Params["as"] == kind && (c.Params["v"] == "v1beta1" || c.Params["v"] == "v1alpha1"):
				version := c.Params["v"]
				if version == "v1alpha1" {
					w.Header().Set("Warning", `299 - "This version of the `+page+` endpoint is deprecated. Please use a newer version."`)
				}
				w.Header().Set("Content-Type", "application/"+c.SubType+";g=config.k8s.io;v="+version+";as="+kind)
				if c.SubType == "yaml" {
					w = yamlWriter{w}
				}
				write(w, kind, version)
				return
			}
		}
		st := metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
			Status:   metav1.StatusFailure, Reason: metav1.StatusReasonNotAcceptable, Code: http.StatusNotAcceptable,
			Message: "only the following media types are accepted: application/json, application/yaml, text/plain",
		}
		body, _ := json.Marshal(&st)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(st.Code))
		_, _ = w.Write(body)
	})
}

func writeZpageText(w http.ResponseWriter, page string, write func(w http.ResponseWriter, kind, version string)) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, zpageHeader, zpageComponent, page)
	write(w, "", "")
}

// writeZpageObject writes obj as JSON, or as YAML through a yamlWriter.
func writeZpageObject(w http.ResponseWriter, obj any) {
	body, err := json.Marshal(obj)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(body)
}

// yamlWriter turns the JSON written to it into YAML.
type yamlWriter struct{ http.ResponseWriter }

func (y yamlWriter) Write(p []byte) (int, error) {
	out, err := yaml.JSONToYAML(p)
	if err != nil {
		return 0, err
	}
	if _, err := y.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// uptime is a duration as upstream's statusz shows it.
func uptime(start time.Time) string {
	s := int64(time.Since(start).Seconds())
	return fmt.Sprintf("%d hr %02d min %02d sec", s/3600, (s/60)%60, s%60)
}
