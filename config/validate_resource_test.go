package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vincent-petithory/dataurl"
)

// validationSentinels names the sentinels that these tests expect, for readable diffs.
var validationSentinels = []struct {
	name string
	err  error
}{
	{"SourceRequired", ErrSourceRequired}, {"URLUnparsable", ErrURLUnparsable}, {"URLScheme", ErrURLScheme},
	{"ProxyScheme", ErrProxyScheme}, {"InsecureProxy", ErrInsecureProxy}, {"Compression", ErrCompression},
	{"HashNoSource", ErrHashNoSource}, {"S3VersionID", ErrS3VersionID}, {"S3ARN", ErrS3ARN},
	{"HeadersScheme", ErrHeadersScheme}, {"HeaderNameEmpty", ErrHeaderNameEmpty},
	{"HeaderInvalid", ErrHeaderInvalid}, {"HashMalformed", ErrHashMalformed}, {"HashFunction", ErrHashFunction},
	{"HashSize", ErrHashSize}, {"UnitExtension", ErrUnitExtension}, {"DropinExtension", ErrDropinExtension},
	{"UnitContent", ErrUnitContent}, {"DataURL", ErrDataURL}, {"NoInstallSection", ErrNoInstallSection},
	{"TemplateNoInstall", ErrTemplateNoInstall}, {"FieldTooNew", ErrFieldTooNew}, {"UnknownKey", ErrUnknownKey},
}

// summary renders diagnostics as "severity path Sentinel", sorted, for comparison.
func summary(r Report) []string {
	out := []string{}
	for _, d := range r {
		name := "?" + d.Message()
		for _, s := range validationSentinels {
			if errors.Is(d.Err, s.err) {
				name = s.name
				break
			}
		}
		out = append(out, fmt.Sprintf("%s %s %s", d.Severity, d.Path, name))
	}
	sort.Strings(out)
	return out
}

// withoutTooNew drops the warnings about fields newer than the document.
func withoutTooNew(r Report) (rest Report, tooNew int) {
	for _, d := range r {
		if errors.Is(d.Err, ErrFieldTooNew) {
			tooNew++
			continue
		}
		rest = append(rest, d)
	}
	return rest, tooNew
}

var (
	sha512Sum = strings.Repeat("a", 128)
	sha256Sum = strings.Repeat("b", 64)
)

// specCase is a config fragment checked in every supported spec version. Older documents
// ignore fields newer than fieldsSince (with a "newer field" warning, which must be there);
// values that became valid later (sha256, gs, arn) are errors before valueSince. In both cases
// wantBefore applies to the older versions.
type specCase struct {
	name        string
	members     string
	fieldsSince string
	valueSince  string
	want        []string
	wantBefore  []string
}

func runSpecCases(t *testing.T, cases []specCase) {
	t.Helper()
	for _, tc := range cases {
		for _, v := range Supported {
			t.Run(tc.name+"/"+v.String(), func(t *testing.T) {
				in := specDoc(v, tc.members)
				_, rep := Parse("c.ign", []byte(in))
				rest, tooNew := withoutTooNew(rep)
				got := summary(rest)
				want := tc.want
				if tc.fieldsSince != "" && v.LessThan(mustVersion(tc.fieldsSince)) {
					if tooNew == 0 {
						t.Errorf("Parse(%s) has no newer-field warning", in)
					}
					want = tc.wantBefore
				}
				if tc.valueSince != "" && v.LessThan(mustVersion(tc.valueSince)) {
					want = tc.wantBefore
				}
				if want == nil {
					want = []string{}
				}
				sort.Strings(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Parse(%s) diagnostics mismatch (-want +got):\n%s", in, diff)
				}
			})
		}
	}
}

// specDoc is doc(v, members), except that an ignition member in members gets the version
// spliced in, since a document has one ignition member.
func specDoc(v Version, members string) string {
	if rest, ok := strings.CutPrefix(members, `"ignition":{`); ok {
		return fmt.Sprintf(`{"ignition":{"version":%q,%s}`, v, rest)
	}
	return doc(v, members)
}

// replace wraps a resource in ignition.config.replace, which needs no source.
func replace(res string) string { return fmt.Sprintf(`"ignition":{"config":{"replace":%s}}`, res) }

const rp = "$.ignition.config.replace"

func TestValidateResourceThroughParse(t *testing.T) {
	cases := []specCase{
		{name: "http source", members: replace(`{"source":"http://example.com/c.ign"}`)},
		{name: "https source, scheme in capitals", members: replace(`{"source":"HTTPS://example.com/c.ign"}`)},
		{name: "tftp source", members: replace(`{"source":"tftp://10.0.0.1/c.ign"}`)},
		{name: "s3 source", members: replace(`{"source":"s3://bucket/key?versionId=v1"}`)},
		{name: "data source", members: replace(`{"source":"data:,%7B%7D"}`)},
		{name: "empty source", members: replace(`{"source":""}`)},
		{name: "unparsable source", members: replace(`{"source":"http://[::1"}`),
			want: []string{"error " + rp + ".source URLUnparsable"}},
		{name: "ftp source", members: replace(`{"source":"ftp://example.com/c"}`),
			want: []string{"error " + rp + ".source URLScheme"}},
		{name: "relative source", members: replace(`{"source":"/etc/c.ign"}`),
			want: []string{"error " + rp + ".source URLScheme"}},
		{name: "gs source", members: replace(`{"source":"gs://bucket/c.ign"}`), valueSince: "3.2.0",
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn bucket object", members: replace(`{"source":"arn:aws:s3:::bucket/c.ign"}`), valueSince: "3.4.0",
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn access point object",
			members:    replace(`{"source":"arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/c.ign"}`),
			valueSince: "3.4.0", wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn of another service", members: replace(`{"source":"arn:aws:sqs:us-east-1:123456789012:queue/x"}`),
			valueSince: "3.4.0", want: []string{"error " + rp + ".source S3ARN"},
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn bucket without key", members: replace(`{"source":"arn:aws:s3:::bucket"}`),
			valueSince: "3.4.0", want: []string{"error " + rp + ".source S3ARN"},
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn access point without object",
			members:    replace(`{"source":"arn:aws:s3:us-east-1:123456789012:accesspoint/ap"}`),
			valueSince: "3.4.0", want: []string{"error " + rp + ".source S3ARN"},
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn with too few parts", members: replace(`{"source":"arn:aws:s3:bucket/key"}`),
			valueSince: "3.4.0", want: []string{"error " + rp + ".source S3ARN"},
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "arn with empty versionId", members: replace(`{"source":"arn:aws:s3:::bucket/key?versionId="}`),
			valueSince: "3.4.0", want: []string{"error " + rp + ".source S3VersionID"},
			wantBefore: []string{"error " + rp + ".source URLScheme"}},
		{name: "s3 with empty versionId", members: replace(`{"source":"s3://bucket/key?versionId="}`),
			want: []string{"error " + rp + ".source S3VersionID"}},
		{name: "s3 with bare versionId", members: replace(`{"source":"s3://bucket/key?versionId"}`),
			want: []string{"error " + rp + ".source S3VersionID"}},
		{name: "data URL without comma", members: replace(`{"source":"data:text/plain"}`),
			want: []string{"error " + rp + ".source DataURL"}},
		{name: "data URL with bad base64", members: replace(`{"source":"data:;base64,abc"}`),
			want: []string{"error " + rp + ".source DataURL"}},
		{name: "hash with source", members: replace(`{"source":"http://a/c","verification":{"hash":"sha512-` + sha512Sum + `"}}`)},
		{name: "hash with empty source", members: replace(`{"source":"","verification":{"hash":"sha512-` + sha512Sum + `"}}`)},
		{name: "hash without source", members: replace(`{"verification":{"hash":"sha512-` + sha512Sum + `"}}`),
			want: []string{"error " + rp + ".verification.hash HashNoSource"}},
		{name: "hash without dash", members: replace(`{"source":"http://a/c","verification":{"hash":"sha512"}}`),
			want: []string{"error " + rp + ".verification.hash HashMalformed"}},
		{name: "hash md5", members: replace(`{"source":"http://a/c","verification":{"hash":"md5-abc"}}`),
			want: []string{"error " + rp + ".verification.hash HashFunction"}},
		{name: "hash sha512 short", members: replace(`{"source":"http://a/c","verification":{"hash":"sha512-abc"}}`),
			want: []string{"error " + rp + ".verification.hash HashSize"}},
		{name: "hash sha256", members: replace(`{"source":"http://a/c","verification":{"hash":"sha256-` + sha256Sum + `"}}`),
			valueSince: "3.1.0", wantBefore: []string{"error " + rp + ".verification.hash HashFunction"}},
		{name: "hash sha256 long", members: replace(`{"source":"http://a/c","verification":{"hash":"sha256-` + sha512Sum + `"}}`),
			valueSince: "3.1.0", want: []string{"error " + rp + ".verification.hash HashSize"},
			wantBefore: []string{"error " + rp + ".verification.hash HashFunction"}},
		{name: "compression gzip", members: replace(`{"source":"http://a/c","compression":"gzip"}`), fieldsSince: "3.1.0"},
		{name: "compression empty", members: replace(`{"source":"http://a/c","compression":""}`), fieldsSince: "3.1.0"},
		{name: "compression xz", members: replace(`{"source":"http://a/c","compression":"xz"}`), fieldsSince: "3.1.0",
			want: []string{"error " + rp + ".compression Compression"}},
		{name: "headers with https", fieldsSince: "3.1.0",
			members: replace(`{"source":"https://a/c","httpHeaders":[{"name":"A","value":"b"},{"name":"C"}]}`)},
		{name: "headers with tftp", fieldsSince: "3.1.0",
			members: replace(`{"source":"tftp://a/c","httpHeaders":[{"name":"A","value":"b"}]}`),
			want:    []string{"error " + rp + ".httpHeaders HeadersScheme"}},
		{name: "headers without source", fieldsSince: "3.1.0",
			members: replace(`{"httpHeaders":[{"name":"A","value":"b"}]}`),
			want:    []string{"error " + rp + ".httpHeaders URLUnparsable"}},
		{name: "headers with empty source", fieldsSince: "3.1.0",
			members: replace(`{"source":"","httpHeaders":[{"name":"A","value":"b"}]}`),
			want:    []string{"error " + rp + ".httpHeaders URLUnparsable"}},
		{name: "headers with unparsable source", fieldsSince: "3.1.0",
			members:    replace(`{"source":"http://[::1","httpHeaders":[{"name":"A","value":"b"}]}`),
			want:       []string{"error " + rp + ".httpHeaders URLUnparsable", "error " + rp + ".source URLUnparsable"},
			wantBefore: []string{"error " + rp + ".source URLUnparsable"}},
		{name: "header without name", fieldsSince: "3.1.0",
			members: replace(`{"source":"http://a/c","httpHeaders":[{"name":"","value":"b"}]}`),
			want:    []string{"error " + rp + ".httpHeaders.0.name HeaderNameEmpty"}},
		{name: "header with empty value", fieldsSince: "3.1.0",
			members: replace(`{"source":"http://a/c","httpHeaders":[{"name":"A","value":""}]}`),
			want:    []string{"error " + rp + ".httpHeaders.0.value HeaderInvalid"}},
	}
	runSpecCases(t, cases)
}

func TestValidateIgnitionThroughParse(t *testing.T) {
	const mp, ca = "$.ignition.config.merge", "$.ignition.security.tls.certificateAuthorities"
	const proxy = "$.ignition.proxy"
	cases := []specCase{
		{name: "merge with source", members: `"ignition":{"config":{"merge":[{"source":"http://a/c.ign"}]}}`},
		{name: "merge without source", members: `"ignition":{"config":{"merge":[{"source":"http://a/c.ign"},{}]}}`,
			want: []string{"error " + mp + ".1 SourceRequired"}},
		{name: "merge with empty source", members: `"ignition":{"config":{"merge":[{"source":""}]}}`,
			want: []string{"error " + mp + ".0 SourceRequired"}},
		{name: "merge with hash only",
			members: `"ignition":{"config":{"merge":[{"verification":{"hash":"sha512-` + sha512Sum + `"}}]}}`,
			want:    []string{"error " + mp + ".0 SourceRequired", "error " + mp + ".0.verification.hash HashNoSource"}},
		{name: "merge with bad scheme", members: `"ignition":{"config":{"merge":[{"source":"ftp://a/c"}]}}`,
			want: []string{"error " + mp + ".0.source URLScheme"}},
		{name: "merge with bad compression", fieldsSince: "3.1.0",
			members: `"ignition":{"config":{"merge":[{"source":"http://a/c","compression":"lz4"}]}}`,
			want:    []string{"error " + mp + ".0.compression Compression"}},
		{name: "replace without source", members: `"ignition":{"config":{"replace":{}}}`},
		{name: "CA with source", members: `"ignition":{"security":{"tls":{"certificateAuthorities":[{"source":"data:,x"}]}}}`},
		{name: "CA without source", members: `"ignition":{"security":{"tls":{"certificateAuthorities":[{}]}}}`,
			want: []string{"error " + ca + ".0 SourceRequired"}},
		{name: "CA with header on tftp", fieldsSince: "3.1.0",
			members: `"ignition":{"security":{"tls":{"certificateAuthorities":[{"source":"tftp://a/b","httpHeaders":[{"name":"A","value":"b"}]}]}}}`,
			want:    []string{"error " + ca + ".0.httpHeaders HeadersScheme"}},
		{name: "proxies http and https", fieldsSince: "3.1.0",
			members: `"ignition":{"proxy":{"httpProxy":"http://p:3128","httpsProxy":"https://p:3129"}}`},
		{name: "plaintext proxy for https", fieldsSince: "3.1.0",
			members: `"ignition":{"proxy":{"httpsProxy":"http://p:3128"}}`,
			want:    []string{"warning " + proxy + ".httpsProxy InsecureProxy"}},
		{name: "socks proxy", fieldsSince: "3.1.0",
			members: `"ignition":{"proxy":{"httpProxy":"socks5://p:1080"}}`,
			want:    []string{"error " + proxy + ".httpProxy ProxyScheme"}},
		{name: "empty proxy", fieldsSince: "3.1.0",
			members: `"ignition":{"proxy":{"httpsProxy":""}}`,
			want:    []string{"error " + proxy + ".httpsProxy ProxyScheme"}},
		{name: "unparsable proxy", fieldsSince: "3.1.0",
			members: `"ignition":{"proxy":{"httpProxy":"http://[::1"}}`,
			want:    []string{"error " + proxy + ".httpProxy URLUnparsable"}},
	}
	runSpecCases(t, cases)
}

func TestValidateResourcePositions(t *testing.T) {
	in := "{\"ignition\": {\n" +
		"  \"version\": \"3.4.0\",\n" +
		"  \"config\": {\"merge\": [\n" +
		"    {\"source\": \"ftp://x\"},\n" +
		"    {}\n" +
		"  ]},\n" +
		"  \"proxy\": {\"httpsProxy\": \"http://p\"}\n" +
		"}}"
	_, rep := Parse("c.ign", []byte(in))
	tests := []struct {
		name      string
		err       error
		line, col int
		sev       Severity
	}{
		{name: "bad scheme at the source value", err: ErrURLScheme, line: 4, col: 16, sev: SeverityError},
		{name: "missing source at the merge entry", err: ErrSourceRequired, line: 5, col: 5, sev: SeverityError},
		{name: "plaintext proxy at its value", err: ErrInsecureProxy, line: 7, col: 27, sev: SeverityWarning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := findDiag(rep, tc.err)
			if d == nil {
				t.Fatalf("Parse(...) has no %v diagnostic; report: %v", tc.err, rep)
			}
			if d.Line != tc.line || d.Column != tc.col || d.Severity != tc.sev {
				t.Errorf("Parse(...) %v at %d:%d (%v), want %d:%d (%v)", tc.err, d.Line, d.Column, d.Severity, tc.line, tc.col, tc.sev)
			}
		})
	}
}

func TestValidateResourceDirect(t *testing.T) {
	str := func(s string) *string { return &s }
	base := Path{"storage", "files", 3, "contents"}
	tests := []struct {
		name string
		res  Resource
		v    string
		want []string
	}{
		{name: "nothing set", res: Resource{}, v: "3.0.0"},
		{name: "gzip data", res: Resource{Source: str("data:;base64,H4sIAAAAAAAA/wMAAAAAAAAAAAA="), Compression: str("gzip")}, v: "3.6.0"},
		{name: "bad compression", res: Resource{Compression: str("bzip2")}, v: "3.6.0",
			want: []string{"error $.storage.files.3.contents.compression Compression"}},
		{name: "gs in 3.1", res: Resource{Source: str("gs://b/o")}, v: "3.1.0",
			want: []string{"error $.storage.files.3.contents.source URLScheme"}},
		{name: "gs in 3.2", res: Resource{Source: str("gs://b/o")}, v: "3.2.0"},
		{name: "arn in 3.3", res: Resource{Source: str("arn:aws:s3:::b/o")}, v: "3.3.0",
			want: []string{"error $.storage.files.3.contents.source URLScheme"}},
		{name: "headers and a bad hash", v: "3.6.0", res: Resource{Source: str("s3://b/o"),
			HTTPHeaders:  []HTTPHeader{{Name: "", Value: str("")}},
			Verification: Verification{Hash: str("sha1-00")}},
			want: []string{
				"error $.storage.files.3.contents.httpHeaders HeadersScheme",
				"error $.storage.files.3.contents.httpHeaders.0.name HeaderNameEmpty",
				"error $.storage.files.3.contents.httpHeaders.0.value HeaderInvalid",
				"error $.storage.files.3.contents.verification.hash HashFunction",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &reporter{}
			validateResource(&tc.res, base, mustVersion(tc.v), r)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, summary(r.report)); diff != "" {
				t.Errorf("validateResource(%+v, %s) mismatch (-want +got):\n%s", tc.res, tc.v, diff)
			}
		})
	}
}

// TestCheckDataURLMatchesDecoder holds the shortcut of checkDataURL to the decoder's verdicts
// and messages.
func TestCheckDataURLMatchesDecoder(t *testing.T) {
	for _, s := range dataURLSamples {
		t.Run(s, func(t *testing.T) { compareWithDecoder(t, s) })
	}
}

var dataURLSamples = []string{
	"data:,", "data:,hello", "data:,hello%20world%0A", "data:,%zz", "data:,%2", "data:,a b", "data:,a#b",
	"data:;base64,", "data:;base64,aGVsbG8=", "data:;base64,aGVsbG8", "data:;base64,aGVs\nbG8=", "data:;base64,a!b",
	"data:text/plain,x", "data:text/plain;charset=utf-8,x", "data:text/plain;charset=utf-8;base64,eA==",
	"data:text/,x", "data:foo/bar,x", "data:x-foo/bar,x", "data:textual/x,x", "data:text/plain;charset=,x",
	"data:text/plain;charset=%41,x", "data:text/plain;charset=\"a,b\",x", "data:text/plain;base64;a=b,eA==",
	"data:text/plain;foo,x", "data:base64,eA==", "data:text/plain;;base64,eA==", "data:;base64=x,y",
	"data:text/plain", "data:", "DATA:,x", "data:,é", "data:;base64,====", "data:application/json,{}",
}

func compareWithDecoder(t *testing.T, s string) {
	t.Helper()
	got := checkDataURL(s)
	_, want := dataurl.DecodeString(s)
	switch {
	case want == nil && got != nil:
		t.Errorf("checkDataURL(%q) = %v, want nil", s, got)
	case want != nil && got == nil:
		t.Errorf("checkDataURL(%q) = nil, want %v", s, want)
	case want != nil && (got.Error() != want.Error() || !errors.Is(got, ErrDataURL)):
		t.Errorf("checkDataURL(%q) = %v, want %v matching ErrDataURL", s, got, want)
	}
}

func FuzzCheckDataURL(f *testing.F) {
	for _, s := range dataURLSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.HasPrefix(s, "data:") {
			return
		}
		compareWithDecoder(t, s)
	})
}
