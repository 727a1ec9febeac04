package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The expected values in these tests are the worked examples of AWS's
// public Signature Version 4 documentation.

func TestSigningKey(t *testing.T) {
	tests := []struct {
		name                          string
		secret, date, region, service string
		want                          string
	}{
		{
			name:   "derivation example",
			secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20120215", region: "us-east-1", service: "iam",
			want: "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d",
		},
		{
			name:   "IAM ListUsers example",
			secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20150830", region: "us-east-1", service: "iam",
			want: "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(signingKey(tt.secret, tt.date, tt.region, tt.service))
			if got != tt.want {
				t.Errorf("signingKey(%s, %s, %s) = %s, want %s", tt.date, tt.region, tt.service, got, tt.want)
			}
		})
	}
}

func TestSignV4S3GetObjectExample(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Range", "bytes=0-9")
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req.Header.Set("User-Agent", "not signed")
	creds := awsCredentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	now := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	signV4(req, creds, "us-east-1", "s3", emptySHA256, now)

	canonical, _ := canonicalRequest(req, emptySHA256)
	wantCanonical := strings.Join([]string{
		"GET",
		"/test.txt",
		"",
		"host:examplebucket.s3.amazonaws.com",
		"range:bytes=0-9",
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"x-amz-date:20130524T000000Z",
		"",
		"host;range;x-amz-content-sha256;x-amz-date",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}, "\n")
	if canonical != wantCanonical {
		t.Errorf("canonicalRequest() =\n%s\nwant\n%s", canonical, wantCanonical)
	}
	toSign := stringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical)
	wantToSign := "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
	if toSign != wantToSign {
		t.Errorf("stringToSign() =\n%s\nwant\n%s", toSign, wantToSign)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %s, want %s", got, want)
	}
}

func TestSignV4IAMExample(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds := awsCredentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	signV4(req, creds, "us-east-1", "iam", emptySHA256, time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC))

	canonical, signed := canonicalRequest(req, emptySHA256)
	sum := sha256.Sum256([]byte(canonical))
	if got, want := hex.EncodeToString(sum[:]), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"; got != want {
		t.Errorf("SHA-256 of canonical request\n%s\n= %s, want %s", canonical, got, want)
	}
	if signed != "content-type;host;x-amz-date" {
		t.Errorf("signed headers = %s, want content-type;host;x-amz-date", signed)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request," +
		"SignedHeaders=content-type;host;x-amz-date," +
		"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %s, want %s", got, want)
	}
}

func TestSignV4SessionToken(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://b.s3.eu-west-1.amazonaws.com/k", nil)
	signV4(req, awsCredentials{AccessKeyID: "AKID", SecretAccessKey: "secret", Token: "session"}, "eu-west-1", "s3", emptySHA256, time.Now())
	if got := req.Header.Get("X-Amz-Security-Token"); got != "session" {
		t.Errorf("X-Amz-Security-Token = %q, want session", got)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "x-amz-security-token") {
		t.Errorf("Authorization %q does not sign the session token", req.Header.Get("Authorization"))
	}
}

func TestAWSEscape(t *testing.T) {
	tests := []struct {
		name, in string
		slash    bool
		want     string
	}{
		{name: "unreserved kept", in: "AZaz09-_.~", want: "AZaz09-_.~"},
		{name: "path keeps slashes", in: "/a b/c+d", want: "/a%20b/c%2Bd"},
		{name: "value escapes slashes", in: "a/b=c", slash: true, want: "a%2Fb%3Dc"},
		{name: "utf-8", in: "é", want: "%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awsEscape(tt.in, tt.slash); got != tt.want {
				t.Errorf("awsEscape(%q, %v) = %q, want %q", tt.in, tt.slash, got, tt.want)
			}
		})
	}
}
