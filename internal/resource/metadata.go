package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Cloud credentials for s3: and gs: fetches come from the instance's
// metadata service when there is one; without one, requests go out
// anonymously. Lookups are single requests with MetadataTimeout (no retry
// loop: a machine outside the cloud must not wait for the fetch deadline)
// and their result is kept for the Fetcher's lifetime, or until temporary
// credentials are close to expiring.

const (
	defaultMetadataURL = "http://169.254.169.254"
	metadataDisabled   = "-"
	// renewBefore is how long before expiry cached credentials are renewed.
	renewBefore = 5 * time.Minute
	// maxMetadataBody bounds what a metadata answer may hold.
	maxMetadataBody = 1 << 20
)

var errMetadataDisabled = errors.New("metadata lookup disabled")

type cachedAWS struct {
	checked bool
	creds   *awsCredentials
}

type cachedGCE struct {
	checked bool
	token   string
	expires time.Time
}

func (f *Fetcher) metadataTimeout() time.Duration {
	if f.MetadataTimeout > 0 {
		return f.MetadataTimeout
	}
	return DefaultMetadataTimeout
}

// metadataCall sends one request to a metadata service and returns the
// status and body.
func (f *Fetcher) metadataCall(ctx context.Context, method, rawURL string, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	for name, vs := range header {
		req.Header[name] = vs
	}
	ua := f.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	resp, err := f.directClient().Do(req)
	if err != nil {
		return 0, nil, redactErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBody))
	return resp.StatusCode, body, err
}

// instanceCredentials returns the EC2 instance role's credentials, or nil
// for anonymous requests when there are none.
func (f *Fetcher) instanceCredentials(ctx context.Context) *awsCredentials {
	f.mu.Lock()
	c := f.aws
	f.mu.Unlock()
	if c.checked && (c.creds == nil || time.Until(c.creds.Expiration) > renewBefore) {
		return c.creds
	}
	creds, err := f.queryIMDS(ctx)
	if err != nil {
		creds = nil
		f.logger().Info(fmt.Sprintf("no EC2 instance role credentials, fetching from S3 anonymously: %v", err))
	}
	f.mu.Lock()
	f.aws = cachedAWS{checked: true, creds: creds}
	f.mu.Unlock()
	return creds
}

// queryIMDS reads the instance role's credentials from the EC2 instance
// metadata service: IMDSv2 session token first, IMDSv1 when the service
// refuses tokens.
func (f *Fetcher) queryIMDS(ctx context.Context) (*awsCredentials, error) {
	base := f.EC2MetadataURL
	switch base {
	case metadataDisabled:
		return nil, errMetadataDisabled
	case "":
		base = defaultMetadataURL
	}
	base = strings.TrimSuffix(base, "/")
	ctx, cancel := context.WithTimeout(ctx, f.metadataTimeout())
	defer cancel()
	header := http.Header{}
	code, body, err := f.metadataCall(ctx, http.MethodPut, base+"/latest/api/token",
		http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"21600"}})
	switch {
	case err != nil:
		return nil, err
	case code == http.StatusOK:
		header.Set("X-Aws-Ec2-Metadata-Token", string(body))
	case code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		// IMDSv1 only.
	default:
		return nil, fmt.Errorf("IMDS token: status %d", code)
	}
	const credsPath = "/latest/meta-data/iam/security-credentials/"
	code, body, err = f.metadataCall(ctx, http.MethodGet, base+credsPath, header)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("IMDS role: status %d", code)
	}
	role, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if role == "" {
		return nil, errors.New("IMDS role: no role attached")
	}
	code, body, err = f.metadataCall(ctx, http.MethodGet, base+credsPath+role, header)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("IMDS credentials: status %d", code)
	}
	var doc struct {
		Code            string
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      time.Time
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("IMDS credentials: %w", err)
	}
	if doc.Code != "Success" || doc.AccessKeyID == "" || doc.SecretAccessKey == "" {
		return nil, fmt.Errorf("IMDS credentials: code %q", doc.Code)
	}
	return &awsCredentials{
		AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey,
		Token: doc.Token, Expiration: doc.Expiration,
	}, nil
}

// gceToken returns an OAuth access token of the instance's default service
// account, or "" for anonymous requests when there is none.
func (f *Fetcher) gceToken(ctx context.Context) string {
	f.mu.Lock()
	c := f.gce
	f.mu.Unlock()
	if c.checked && (c.token == "" || time.Until(c.expires) > time.Minute) {
		return c.token
	}
	token, expires, err := f.queryGCE(ctx)
	if err != nil {
		token = ""
		f.logger().Info(fmt.Sprintf("no GCE service account token, fetching from GCS anonymously: %v", err))
	}
	f.mu.Lock()
	f.gce = cachedGCE{checked: true, token: token, expires: expires}
	f.mu.Unlock()
	return token
}

func (f *Fetcher) queryGCE(ctx context.Context) (string, time.Time, error) {
	base := f.GCEMetadataURL
	switch base {
	case metadataDisabled:
		return "", time.Time{}, errMetadataDisabled
	case "":
		base = defaultMetadataURL
	}
	ctx, cancel := context.WithTimeout(ctx, f.metadataTimeout())
	defer cancel()
	code, body, err := f.metadataCall(ctx, http.MethodGet,
		strings.TrimSuffix(base, "/")+"/computeMetadata/v1/instance/service-accounts/default/token",
		http.Header{"Metadata-Flavor": {"Google"}})
	if err != nil {
		return "", time.Time{}, err
	}
	if code != http.StatusOK {
		return "", time.Time{}, fmt.Errorf("GCE token: status %d", code)
	}
	var doc struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", time.Time{}, fmt.Errorf("GCE token: %w", err)
	}
	if doc.AccessToken == "" {
		return "", time.Time{}, errors.New("GCE token: empty")
	}
	return doc.AccessToken, time.Now().Add(time.Duration(doc.ExpiresIn) * time.Second), nil
}
