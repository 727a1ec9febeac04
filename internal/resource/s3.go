package resource

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// s3Object is an object named by s3://bucket/key or by an S3 ARN.
type s3Object struct {
	partition string
	// region and account are set for access points, whose ARN names them.
	region, account string
	// bucket is the bucket name, or the access point name.
	bucket      string
	accessPoint bool
	key         string
	versionID   string
}

// parseS3 reads s3://bucket/key[?versionId=V], arn:PARTITION:s3:::bucket/key
// and arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY.
func parseS3(rawURL string) (s3Object, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return s3Object{}, fmt.Errorf("%w: %w", ErrURL, redactErr(err))
	}
	o := s3Object{partition: "aws"}
	if vs, ok := u.Query()["versionId"]; ok {
		if len(vs) == 0 || vs[0] == "" {
			return s3Object{}, ErrS3VersionID
		}
		o.versionID = vs[0]
	}
	if strings.EqualFold(u.Scheme, "s3") {
		o.bucket, o.key = u.Host, strings.TrimPrefix(u.Path, "/")
		if !validBucket(o.bucket) || o.key == "" {
			return s3Object{}, fmt.Errorf("%w: s3 URL needs a bucket and a key", ErrURL)
		}
		return o, nil
	}
	parts := strings.SplitN(u.Opaque, ":", 5)
	if len(parts) != 5 || !validRegion(parts[0]) || parts[1] != "s3" ||
		(parts[2] != "" && !validRegion(parts[2])) || !validRegion(parts[3]) && parts[3] != "" {
		return s3Object{}, ErrS3ARN
	}
	o.partition, o.region, o.account = parts[0], parts[2], parts[3]
	resource := parts[4]
	if rest, ok := strings.CutPrefix(resource, "accesspoint/"); ok {
		name, key, _ := strings.Cut(rest, "/object/")
		if !validBucket(name) || key == "" || o.region == "" || o.account == "" {
			return s3Object{}, ErrS3ARN
		}
		o.bucket, o.key, o.accessPoint = name, key, true
		return o, nil
	}
	o.bucket, o.key, _ = strings.Cut(resource, "/")
	if !validBucket(o.bucket) || o.key == "" {
		return s3Object{}, ErrS3ARN
	}
	return o, nil
}

// regionHint is the region asked for a bucket's location: the partition's
// first region, as the reference uses.
func (f *Fetcher) regionHint(o s3Object) string {
	if f.S3RegionHint != "" {
		return f.S3RegionHint
	}
	switch o.partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// url returns the address of the object (or of its bucket when key is
// false) in region: virtual-hosted style on AWS, path style on S3Endpoint
// and for bucket names with dots (which a wildcard certificate cannot match).
func (f *Fetcher) s3URL(o s3Object, region string, key bool) (*url.URL, error) {
	domain := "amazonaws.com"
	if o.partition == "aws-cn" {
		domain = "amazonaws.com.cn"
	}
	label := o.bucket
	if o.accessPoint {
		label = o.bucket + "-" + o.account
	}
	u := &url.URL{Scheme: "https"}
	var path string
	switch {
	case f.S3Endpoint != "":
		base, err := url.Parse(f.S3Endpoint)
		if err != nil {
			return nil, fmt.Errorf("%w: S3 endpoint: %w", ErrURL, err)
		}
		u.Scheme, u.Host = base.Scheme, base.Host
		path = strings.TrimSuffix(base.Path, "/") + "/" + label + "/"
	case o.accessPoint:
		u.Host = label + ".s3-accesspoint." + region + "." + domain
		path = "/"
	case strings.Contains(o.bucket, "."):
		u.Host = "s3." + region + "." + domain
		path = "/" + label + "/"
	default:
		u.Host = label + ".s3." + region + "." + domain
		path = "/"
	}
	if key {
		path += o.key
		if o.versionID != "" {
			u.RawQuery = "versionId=" + awsEscape(o.versionID, true)
		}
	}
	u.Path, u.RawPath = path, awsEscape(path, false)
	return u, nil
}

// fetchS3 gets an object: the bucket's region from an unsigned HEAD, then
// a GET signed with the instance role's credentials, or anonymous.
func (f *Fetcher) fetchS3(ctx context.Context, rawURL string, s *sink) error {
	o, err := parseS3(rawURL)
	if err != nil {
		return err
	}
	client, err := f.httpClient()
	if err != nil {
		return err
	}
	region := o.region
	if !o.accessPoint {
		if region, err = f.bucketRegion(ctx, client, o); err != nil {
			return err
		}
	}
	u, err := f.s3URL(o, region, true)
	if err != nil {
		return err
	}
	creds := f.instanceCredentials(ctx)
	newReq := func(ctx context.Context) (*http.Request, error) {
		req, err := f.newRequest(ctx, http.MethodGet, u, nil, nil)
		if err != nil || creds == nil {
			return req, err
		}
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		signV4(req, *creds, region, "s3", emptySHA256, time.Now())
		return req, nil
	}
	return f.retry(ctx, client, newReq, bodyHandler(nil, s))
}

// bucketRegion asks S3 where a bucket lives. S3 names the region in the
// X-Amz-Bucket-Region header of any answer, errors and redirects included.
func (f *Fetcher) bucketRegion(ctx context.Context, client *http.Client, o s3Object) (string, error) {
	hint := f.regionHint(o)
	u, err := f.s3URL(o, hint, false)
	if err != nil {
		return "", err
	}
	head := &http.Client{
		Transport:     client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var region string
	err = f.retry(ctx, head, func(ctx context.Context) (*http.Request, error) {
		return f.newRequest(ctx, http.MethodHead, u, nil, nil)
	}, func(req *http.Request, resp *http.Response) (bool, error) {
		if r := resp.Header.Get("X-Amz-Bucket-Region"); r != "" {
			if !validRegion(r) {
				return false, fmt.Errorf("%w: bucket region %q", ErrFailed, r)
			}
			region = r
			return false, nil
		}
		switch code := resp.StatusCode; {
		case code == http.StatusOK:
			region = hint
			return false, nil
		case code == http.StatusNotFound:
			return false, fmt.Errorf("could not find bucket %q: %w", o.bucket, statusError(req, code))
		default:
			return code >= 500, statusError(req, code)
		}
	})
	return region, err
}

// validRegion keeps a region, which becomes part of a host name, to the
// characters region names use.
func validRegion(r string) bool {
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return r != ""
}

// validBucket keeps a bucket or access point name, which becomes part of a
// host name, to the characters S3 allows (underscores and capitals only in
// legacy us-east-1 names).
func validBucket(b string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return b != ""
}
