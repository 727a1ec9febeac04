package providers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/flint-provision/flint/internal/resource"
)

// oraclecloud (Oracle Cloud Infrastructure): GET /opc/v2/instance/metadata/user_data with
// the fixed Authorization: Bearer Oracle; 429 (throttled) is retried, a 404 means no user
// data, and the value is base64 (the platform stores it so), decoded here.
//
// The instance is described by /opc/v2/instance/ and its VNICs by /opc/v2/vnics/, with the
// same header and retries.

func init() {
	Register(oracleCloudProvider{httpProvider{id: "oraclecloud", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/opc/v2/instance/metadata/user_data",
		headers:         oracleHeaders,
		retry:           oracleRetry,
		notFoundIsEmpty: true,
		decode:          decodeBase64Value,
	}}})
}

var (
	oracleHeaders = header("Authorization", "Bearer Oracle")
	oracleRetry   = []int{http.StatusTooManyRequests}
)

type oracleCloudProvider struct{ httpProvider }

// Metadata reads the instance and VNIC documents. The region is the canonical name
// ("us-phoenix-1"), the zone the availability domain; the addresses are the first VNIC's.
// OCI's instance metadata does not know the public IPv4 address (it is NATed outside the
// VNIC), so that stays unknown.
func (p oracleCloudProvider) Metadata(ctx context.Context, env *Env) (Metadata, error) {
	ctx, cancel := env.fetchDeadline(ctx)
	defer cancel()
	base := env.endpoint(EndpointMetadata, defaultMetadataURL) + "/opc/v2/"
	opts := resource.Options{Headers: oracleHeaders, RetryCodes: oracleRetry}
	var inst struct {
		ID                  string `json:"id"`
		Hostname            string `json:"hostname"`
		Region              string `json:"region"`
		CanonicalRegionName string `json:"canonicalRegionName"`
		AvailabilityDomain  string `json:"availabilityDomain"`
		Metadata            struct {
			SSHAuthorizedKeys string `json:"ssh_authorized_keys"`
		} `json:"metadata"`
	}
	if err := metadataJSON(ctx, env, base+"instance/", opts, &inst); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	var vnics []struct {
		PrivateIP     string   `json:"privateIp"`
		IPv6Addresses []string `json:"ipv6Addresses"`
	}
	if err := metadataJSON(ctx, env, base+"vnics/", opts, &vnics); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", p.id, err)
	}
	m := Metadata{
		Hostname: inst.Hostname, InstanceID: inst.ID, Region: inst.CanonicalRegionName, Zone: inst.AvailabilityDomain,
		SSHKeys: lines(inst.Metadata.SSHAuthorizedKeys),
	}
	if m.Region == "" {
		m.Region = inst.Region
	}
	if len(vnics) > 0 {
		m.IPv4Private = vnics[0].PrivateIP
		if len(vnics[0].IPv6Addresses) > 0 {
			m.IPv6Private = vnics[0].IPv6Addresses[0]
		}
	}
	return m, nil
}

// decodeBase64Value decodes a metadata value the platform serves as standard padded base64;
// surrounding white space (a trailing newline) is ignored.
func decodeBase64Value(b []byte) ([]byte, error) {
	out, err := base64.StdEncoding.DecodeString(string(trimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBase64, err)
	}
	if len(out) == 0 {
		return nil, ErrNoConfig
	}
	return out, nil
}
