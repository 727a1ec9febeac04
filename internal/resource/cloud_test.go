package resource

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAccessKey = "ASIATESTKEY"
	testSecretKey = "testsecret/key"
	testToken     = "session-token"
	testRegion    = "eu-west-1"
)

// s3Emulator answers path-style S3 requests the way the documented API
// does: HEAD on a bucket names its region in X-Amz-Bucket-Region (with a
// 301 when asked in another region), GET returns an object or 404
// NoSuchKey. When signed is set, it checks each GET's SigV4 signature.
type s3Emulator struct {
	t       *testing.T
	objects map[string]string // "bucket/key" -> content
	signed  bool

	mu    sync.Mutex
	auths []string
	heads []string
	gets  []string
}

func (e *s3Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	e.mu.Lock()
	defer e.mu.Unlock()
	known := false
	for name := range e.objects {
		if strings.HasPrefix(name, bucket+"/") {
			known = true
		}
	}
	switch r.Method {
	case http.MethodHead:
		e.heads = append(e.heads, bucket)
		if !known {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("X-Amz-Bucket-Region", testRegion)
		w.WriteHeader(http.StatusMovedPermanently)
	case http.MethodGet:
		e.gets = append(e.gets, r.URL.RequestURI())
		auth := r.Header.Get("Authorization")
		e.auths = append(e.auths, auth)
		if e.signed && !e.validSignature(r) {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
			return
		}
		content, ok := e.objects[bucket+"/"+key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<Error><Code>NoSuchKey</Code></Error>")
			return
		}
		io.WriteString(w, content)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// validSignature recomputes the signature from the request as received.
func (e *s3Emulator) validSignature(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	date, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || r.Header.Get("X-Amz-Security-Token") != testToken ||
		r.Header.Get("X-Amz-Content-Sha256") != emptySHA256 ||
		!strings.HasPrefix(got, "AWS4-HMAC-SHA256 Credential="+testAccessKey+"/"+date.Format("20060102")+"/"+testRegion+"/s3/aws4_request,") {
		e.t.Errorf("S3 request headers: Authorization %q, X-Amz-Date %q, token %q", got, r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"))
		return false
	}
	check := r.Clone(r.Context())
	check.URL.Host = r.Host
	check.Header.Del("Authorization")
	signV4(check, awsCredentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, Token: testToken}, testRegion, "s3", emptySHA256, date)
	if want := check.Header.Get("Authorization"); got != want {
		e.t.Errorf("Authorization = %s, want %s", got, want)
		return false
	}
	return true
}

// imdsEmulator serves instance-role credentials like the EC2 instance
// metadata service: IMDSv2 tokens, or IMDSv1 when v1 is set.
func imdsEmulator(t *testing.T, v1 bool, role string) *httptest.Server {
	const token = "imds-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest/api/token" {
			if r.Method != http.MethodPut || v1 {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			io.WriteString(w, token)
			return
		}
		if !v1 && r.Header.Get("X-Aws-Ec2-Metadata-Token") != token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		const prefix = "/latest/meta-data/iam/security-credentials/"
		switch {
		case r.URL.Path == prefix && role != "":
			io.WriteString(w, role+"\n")
		case r.URL.Path == prefix+role && role != "":
			json.NewEncoder(w).Encode(map[string]string{
				"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": testAccessKey, "SecretAccessKey": testSecretKey,
				"Token": testToken, "Expiration": time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339),
				"LastUpdated": time.Now().UTC().Format(time.RFC3339),
			})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchS3(t *testing.T) {
	objects := map[string]string{
		"bucket/config.ign":           "plain",
		"bucket/dir/a b+c.ign":        "odd key",
		"flint-ap-123456789012/x.ign": "access point",
	}
	tests := []struct {
		name     string
		url      string
		imds     string // "", "v1", "v2", "norole"
		want     string
		err      error
		wantGet  string
		wantHead bool
	}{
		{name: "anonymous", url: "s3://bucket/config.ign", want: "plain", wantGet: "/bucket/config.ign", wantHead: true},
		{name: "instance role IMDSv2", url: "s3://bucket/config.ign", imds: "v2", want: "plain", wantHead: true},
		{name: "instance role IMDSv1", url: "s3://bucket/config.ign", imds: "v1", want: "plain", wantHead: true},
		{name: "no role attached", url: "s3://bucket/config.ign", imds: "norole", want: "plain", wantHead: true},
		{name: "key needing escapes signed", url: "s3://bucket/dir/a%20b+c.ign", imds: "v2", want: "odd key", wantGet: "/bucket/dir/a%20b%2Bc.ign"},
		{name: "version id", url: "s3://bucket/config.ign?versionId=v1.2", want: "plain", wantGet: "/bucket/config.ign?versionId=v1.2"},
		{name: "object missing", url: "s3://bucket/none.ign", err: ErrNotFound},
		{name: "bucket missing", url: "s3://nobucket/config.ign", err: ErrNotFound},
		{name: "bucket ARN", url: "arn:aws:s3:::bucket/config.ign", imds: "v2", want: "plain", wantGet: "/bucket/config.ign"},
		{name: "access point ARN", url: "arn:aws:s3:" + testRegion + ":123456789012:accesspoint/flint-ap/object/x.ign", imds: "v2", want: "access point", wantGet: "/flint-ap-123456789012/x.ign"},
		{name: "empty version id", url: "s3://bucket/config.ign?versionId=", err: ErrS3VersionID},
		{name: "not an S3 ARN", url: "arn:aws:ec2:::bucket/key", err: ErrS3ARN},
		{name: "ARN without key", url: "arn:aws:s3:::bucket", err: ErrS3ARN},
		{name: "bucket with port", url: "s3://bucket:80/key", err: ErrURL},
		{name: "ARN bucket with odd characters", url: "arn:aws:s3:::buck@et/key", err: ErrS3ARN},
		{name: "access point without account", url: "arn:aws:s3:us-west-2::accesspoint/ap/object/k", err: ErrS3ARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := &s3Emulator{t: t, objects: objects, signed: tt.imds == "v1" || tt.imds == "v2"}
			srv := httptest.NewServer(emu)
			t.Cleanup(srv.Close)
			f := fastFetcher()
			f.S3Endpoint = srv.URL
			switch tt.imds {
			case "v1", "v2":
				f.EC2MetadataURL = imdsEmulator(t, tt.imds == "v1", "flint-node").URL
			case "norole":
				f.EC2MetadataURL = imdsEmulator(t, false, "").URL
			}
			got, err := f.Fetch(t.Context(), tt.url, Options{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%s) error = %v, want %v", tt.url, err, tt.err)
			}
			if err == nil && string(got) != tt.want {
				t.Errorf("Fetch(%s) = %q, want %q", tt.url, got, tt.want)
			}
			emu.mu.Lock()
			defer emu.mu.Unlock()
			if tt.wantGet != "" && (len(emu.gets) != 1 || emu.gets[0] != tt.wantGet) {
				t.Errorf("S3 GETs = %q, want [%s]", emu.gets, tt.wantGet)
			}
			if tt.wantHead && len(emu.heads) != 1 {
				t.Errorf("S3 HEADs = %q, want one region lookup", emu.heads)
			}
			for _, auth := range emu.auths {
				if signed := auth != ""; signed != emu.signed {
					t.Errorf("Authorization = %q, want signed %v", auth, emu.signed)
				}
			}
		})
	}
}

func TestS3URL(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		region string
		hint   string
		want   string
	}{
		{name: "virtual hosted", url: "s3://bucket/dir/key.ign", region: "eu-west-1", want: "https://bucket.s3.eu-west-1.amazonaws.com/dir/key.ign"},
		{name: "dotted bucket is path style", url: "s3://my.bucket/key", region: "us-east-1", want: "https://s3.us-east-1.amazonaws.com/my.bucket/key"},
		{name: "version id", url: "s3://bucket/key?versionId=a+b", region: "us-east-1", want: "https://bucket.s3.us-east-1.amazonaws.com/key?versionId=a%20b"},
		{name: "escaped key", url: "s3://bucket/a%20b", region: "us-east-1", want: "https://bucket.s3.us-east-1.amazonaws.com/a%20b"},
		{name: "access point", url: "arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/some/key", region: "us-west-2", want: "https://ap-123456789012.s3-accesspoint.us-west-2.amazonaws.com/some/key"},
		{name: "china partition", url: "arn:aws-cn:s3:::bucket/key", region: "cn-north-1", hint: "cn-north-1", want: "https://bucket.s3.cn-north-1.amazonaws.com.cn/key"},
		{name: "gov partition hint", url: "arn:aws-us-gov:s3:::bucket/key", region: "us-gov-west-1", hint: "us-gov-west-1", want: "https://bucket.s3.us-gov-west-1.amazonaws.com/key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseS3(tt.url)
			if err != nil {
				t.Fatalf("parseS3(%s) = %v", tt.url, err)
			}
			f := &Fetcher{}
			u, err := f.s3URL(o, tt.region, true)
			if err != nil || u.String() != tt.want {
				t.Errorf("s3URL(%s) = %v, %v, want %s", tt.url, u, err, tt.want)
			}
			if tt.hint != "" && f.regionHint(o) != tt.hint {
				t.Errorf("regionHint(%s) = %s, want %s", tt.url, f.regionHint(o), tt.hint)
			}
		})
	}
}

func TestBucketRegionRejectsOddRegion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Bucket-Region", "evil.example/")
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	t.Cleanup(srv.Close)
	f := fastFetcher()
	f.S3Endpoint = srv.URL
	if _, err := f.Fetch(t.Context(), "s3://bucket/key", Options{}); !errors.Is(err, ErrFailed) {
		t.Errorf("Fetch() = %v, want %v", err, ErrFailed)
	}
}

// gcsEmulator serves the GCS JSON API's media download for one object and
// the GCE metadata server's service-account token.
func gcsEmulator(t *testing.T) (gcs, metadata *httptest.Server, auths *[]string) {
	var mu sync.Mutex
	var seen []string
	gcs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Query().Get("alt") != "media" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch r.URL.EscapedPath() {
		case "/storage/v1/b/bucket/o/dir%2Fconfig.ign":
			io.WriteString(w, "from gcs")
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(gcs.Close)
	metadata = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" || r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Metadata-Flavor", "Google")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"})
	}))
	t.Cleanup(metadata.Close)
	return gcs, metadata, &seen
}

func TestFetchGCS(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		metadata bool
		want     string
		err      error
		auth     string
	}{
		{name: "anonymous", url: "gs://bucket/dir/config.ign", want: "from gcs", auth: ""},
		{name: "service account token", url: "gs://bucket/dir/config.ign", metadata: true, want: "from gcs", auth: "Bearer ya29.test"},
		{name: "object missing", url: "gs://bucket/none.ign", err: ErrNotFound},
		{name: "no object", url: "gs://bucket", err: ErrURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gcs, metadata, auths := gcsEmulator(t)
			f := fastFetcher()
			f.GCSEndpoint = gcs.URL
			if tt.metadata {
				f.GCEMetadataURL = metadata.URL
			}
			got, err := f.Fetch(t.Context(), tt.url, Options{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("Fetch(%s) error = %v, want %v", tt.url, err, tt.err)
			}
			if err != nil {
				return
			}
			if string(got) != tt.want {
				t.Errorf("Fetch(%s) = %q, want %q", tt.url, got, tt.want)
			}
			if len(*auths) != 1 || (*auths)[0] != tt.auth {
				t.Errorf("GCS saw Authorization %q, want [%q]", *auths, tt.auth)
			}
		})
	}
}

func TestGCSURL(t *testing.T) {
	u, err := gcsURL("", "gs://bucket/a%20b/c%3F.ign")
	want := "https://storage.googleapis.com/storage/v1/b/bucket/o/a%20b%2Fc%3F.ign?alt=media"
	if err != nil || u.String() != want {
		t.Errorf("gcsURL() = %v, %v, want %s", u, err, want)
	}
}
