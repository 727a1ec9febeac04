package emulators

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// UserData is a platform's user data: nil when none is set.
type UserData []byte

// AWSOptions shape the EC2 instance metadata service.
type AWSOptions struct {
	// UserData is served at /<version>/user-data; nil answers 404 as IMDS does.
	UserData UserData
	// V1Only answers the token PUT with 404 (IMDSv2 unavailable).
	V1Only bool
	// RequireToken refuses reads without a token (HttpTokens=required) with 401.
	RequireToken bool
	// Metadata is served under /<version>/meta-data/ by path ("instance-id", ...).
	Metadata map[string]string
}

// AWS is the EC2 IMDS contract: PUT /latest/api/token with a TTL of 1..21600 s (missing or
// invalid: 400; with X-Forwarded-For or on a versioned path: 403), reads with an invalid
// token: 401, missing resources: 404.
func AWS(o AWSOptions) http.Handler {
	var mu sync.Mutex
	tokens := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/token") {
			switch {
			case r.Method != http.MethodPut:
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			case o.V1Only:
				http.NotFound(w, r)
			case r.URL.Path != "/latest/api/token", r.Header.Get("X-Forwarded-For") != "":
				http.Error(w, "forbidden", http.StatusForbidden)
			default:
				ttl, err := strconv.Atoi(r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
				if err != nil || ttl < 1 || ttl > 21600 {
					http.Error(w, "bad request", http.StatusBadRequest)
					return
				}
				t := randomToken()
				mu.Lock()
				tokens[t] = true
				mu.Unlock()
				w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", strconv.Itoa(ttl))
				fmt.Fprint(w, t)
			}
			return
		}
		if t := r.Header.Get("X-Aws-Ec2-Metadata-Token"); t != "" {
			mu.Lock()
			ok := tokens[t]
			mu.Unlock()
			if !ok {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		} else if o.RequireToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		version, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if version != "latest" && !isDate(version) {
			http.NotFound(w, r)
			return
		}
		switch {
		case rest == "user-data" && o.UserData != nil:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(o.UserData)
		case strings.HasPrefix(rest, "meta-data/"):
			v, ok := o.Metadata[strings.TrimPrefix(rest, "meta-data/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, v)
		default:
			http.NotFound(w, r)
		}
	})
}

func isDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-'
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// GCP is the GCE metadata server: every request needs Metadata-Flavor: Google (missing: 403,
// wrong value: 404) and none may carry X-Forwarded-For (403); answers carry
// Metadata-Flavor: Google; paths under /computeMetadata/v1/ not in values are 404.
func GCP(values map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Metadata-Flavor", "Google")
		switch flavor, ok := r.Header["Metadata-Flavor"]; {
		case r.Header.Get("X-Forwarded-For") != "", !ok:
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		case len(flavor) != 1 || flavor[0] != "Google":
			http.NotFound(w, r)
			return
		}
		v, ok := values[strings.TrimPrefix(r.URL.Path, "/computeMetadata/v1/")]
		if !ok || !strings.HasPrefix(r.URL.Path, "/computeMetadata/v1/") {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, v)
	})
}

// AzureOptions shape the Azure instance metadata service.
type AzureOptions struct {
	// UserData is the IMDS userData, served base64 as IMDS does; nil serves an empty body.
	UserData UserData
	// Phases are the statuses answered, in order, before the first good answer (404 while
	// provisioning, 410 while IMDS updates, 429 when throttled).
	Phases []int
	// Instance is the JSON served at /metadata/instance (any api-version); "" answers 404.
	Instance string
}

// Azure is IMDS: every request needs Metadata: true (else 400) and an api-version.
func Azure(o AzureOptions) http.Handler {
	var mu sync.Mutex
	phase := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata") != "true" || r.URL.Query().Get("api-version") == "" {
			http.Error(w, `{"error":"Bad request. Required metadata header not specified"}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		p := phase
		phase++
		mu.Unlock()
		if p < len(o.Phases) {
			http.Error(w, http.StatusText(o.Phases[p]), o.Phases[p])
			return
		}
		switch r.URL.Path {
		case "/metadata/instance/compute/userData":
			if r.URL.Query().Get("format") != "text" {
				http.Error(w, "format=text required", http.StatusBadRequest)
				return
			}
			fmt.Fprint(w, base64.StdEncoding.EncodeToString(o.UserData))
		case "/metadata/instance":
			if o.Instance == "" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, o.Instance)
		default:
			http.NotFound(w, r)
		}
	})
}

// Wireserver is the Azure wireserver of a ready report: versions, goal state and health.
// Health reports are recorded by the Server; Versions lists the supported protocol versions.
type Wireserver struct {
	Versions                             []string
	Incarnation, ContainerID, InstanceID string
}

// Handler serves the wireserver; every request needs x-ms-agent-name and x-ms-version
// (else 400).
func (ws Wireserver) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-ms-agent-name") == "" || r.Header.Get("x-ms-version") == "" {
			http.Error(w, "missing x-ms headers", http.StatusBadRequest)
			return
		}
		switch q := r.URL.Query().Get("comp"); {
		case r.URL.Path == "/" && q == "versions":
			var vs strings.Builder
			for _, v := range ws.Versions {
				fmt.Fprintf(&vs, "<Version>%s</Version>", v)
			}
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Versions><Preferred><Version>2015-04-05</Version></Preferred><Supported>%s</Supported></Versions>`, vs.String())
		case r.URL.Path == "/machine/" && q == "goalstate" && r.Method == http.MethodGet:
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><GoalState><Version>2012-11-30</Version><Incarnation>%s</Incarnation><Machine><ExpectedState>Started</ExpectedState></Machine><Container><ContainerId>%s</ContainerId><RoleInstanceList><RoleInstance><InstanceId>%s</InstanceId><State>Started</State></RoleInstance></RoleInstanceList></Container></GoalState>`,
				ws.Incarnation, ws.ContainerID, ws.InstanceID)
		case r.URL.Path == "/machine/" && q == "health" && r.Method == http.MethodPost:
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") {
				http.Error(w, "bad content type", http.StatusBadRequest)
				return
			}
			w.Header().Set("x-ms-latest-goal-state-incarnation-number", ws.Incarnation)
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, r)
		}
	})
}

// Paths serves fixed documents by path: a nil value is a 404, a present one a 200 (empty
// included). It is the contract of DigitalOcean, Hetzner, Vultr, Exoscale, UpCloud, Aliyun
// and the OpenStack metadata service, whose only differences are the paths and what a
// missing value looks like, which the caller chooses. The instance descriptions are such
// documents too: DigitalOcean /metadata/v1.json, Hetzner /hetzner/v1/metadata (YAML) and
// /hetzner/v1/metadata/private-networks, Vultr /v1.json, Exoscale /1.0/meta-data/<key>,
// UpCloud /metadata/v1.json, OpenStack /openstack/latest/meta_data.json and
// /latest/meta-data/<key>.
func Paths(docs map[string]UserData) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b, ok := docs[r.URL.Path]
		if !ok || b == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
}

// Oracle is the OCI IMDS v2: Authorization: Bearer Oracle required (401), values served as
// stored (user_data is base64); the instance JSON is /opc/v2/instance/ and the VNICs'
// /opc/v2/vnics/.
func Oracle(docs map[string]UserData) http.Handler {
	p := Paths(docs)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer Oracle" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		p.ServeHTTP(w, r)
	})
}

// Packet is the Equinix Metal metadata service (serve it with TLS) with a minimal device
// document: see PacketDevice.
func Packet(userData UserData, self func() string) http.Handler {
	return PacketDevice(PacketOptions{UserData: userData, Self: self})
}

// PacketOptions shape the Equinix Metal metadata service.
type PacketOptions struct {
	// UserData is served raw at /userdata (empty when none).
	UserData UserData
	// Metadata is the device JSON served at /metadata; "" serves a minimal document naming
	// phone_home_url on this server.
	Metadata string
	// Self returns the server's URL, for phone_home_url.
	Self func() string
	// NoMetadata answers /metadata with 404.
	NoMetadata bool
}

// PacketDevice is the Equinix Metal metadata service (serve it with TLS): a request whose
// Accept does not allow */* gets 406; /userdata is served raw; /metadata is the device JSON;
// POSTs to /events are recorded by the Server.
func PacketDevice(o PacketOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/events" {
			if r.Header.Get("Content-Type") != "application/json" {
				http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "*/*") || strings.Contains(r.Header.Get("Accept"), "q=0.1") {
			http.Error(w, "not acceptable", http.StatusNotAcceptable)
			return
		}
		switch {
		case r.URL.Path == "/userdata":
			w.Write(o.UserData)
		case r.URL.Path == "/metadata" && !o.NoMetadata:
			w.Header().Set("Content-Type", "application/json")
			if o.Metadata != "" {
				fmt.Fprint(w, o.Metadata)
				return
			}
			fmt.Fprintf(w, `{"id":"0a1b","hostname":"node-1","phone_home_url":%q}`, o.Self()+"/phone-home")
		default:
			http.NotFound(w, r)
		}
	})
}

// Scaleway serves docs by path; user data (paths under /user_data) only to connections from a
// privileged source port (< 1024), others get 403. The instance description (/conf) is open
// to every port, as on Scaleway.
func Scaleway(docs map[string]UserData) http.Handler {
	p := Paths(docs)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(r.RemoteAddr)
		if n, err := strconv.Atoi(port); strings.HasPrefix(r.URL.Path, "/user_data") && (err != nil || n >= 1024) {
			http.Error(w, "source port must be privileged", http.StatusForbidden)
			return
		}
		p.ServeHTTP(w, r)
	})
}

// Akamai is the Akamai (Linode) metadata service with user data only: see AkamaiService.
func Akamai(userData UserData) http.Handler {
	return AkamaiService(AkamaiOptions{UserData: userData})
}

// AkamaiOptions shape the Akamai metadata service. The JSON documents are served at
// /v1/instance, /v1/network and /v1/ssh-keys; "" answers 404.
type AkamaiOptions struct {
	// UserData is served base64 at /v1/user-data, as stored; nil is an empty value.
	UserData                   UserData
	Instance, Network, SSHKeys string
}

// AkamaiService is the Akamai (Linode) metadata service: PUT /v1/token with
// Metadata-Token-Expiry-Seconds (else 400), reads with Metadata-Token (else 401). The
// instance, network and SSH key documents are JSON and served only to requests accepting
// application/json (the real service answers text otherwise, which this emulator does not
// render: 406).
func AkamaiService(o AkamaiOptions) http.Handler {
	var mu sync.Mutex
	tokens := map[string]bool{}
	docs := map[string]string{"/v1/instance": o.Instance, "/v1/network": o.Network, "/v1/ssh-keys": o.SSHKeys}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/token" && r.Method == http.MethodPut {
			if _, err := strconv.Atoi(r.Header.Get("Metadata-Token-Expiry-Seconds")); err != nil {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			t := hex.EncodeToString([]byte(randomToken()))
			mu.Lock()
			tokens[t] = true
			mu.Unlock()
			fmt.Fprint(w, t)
			return
		}
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		ok := tokens[r.Header.Get("Metadata-Token")]
		mu.Unlock()
		if !ok {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/v1/user-data" {
			fmt.Fprint(w, base64.StdEncoding.EncodeToString(o.UserData))
			return
		}
		doc, known := docs[r.URL.Path]
		switch {
		case !known || doc == "":
			http.NotFound(w, r)
		case !strings.Contains(r.Header.Get("Accept"), "application/json"):
			http.Error(w, "emulator serves JSON only", http.StatusNotAcceptable)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, doc)
		}
	})
}
