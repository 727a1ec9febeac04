package providers

// gcp (Google Compute Engine): the instance attribute user-data on the metadata server, which
// answers only requests carrying Metadata-Flavor: Google. An attribute that is not set is a
// 404, which means no user data; 5xx and connection errors are retried until the fetch
// deadline. The value is raw.

func init() { Register(gcpProvider{gcpUserData}) }

var gcpUserData = httpProvider{id: "gcp", src: httpSource{
	base:            defaultMetadataURL,
	path:            "/computeMetadata/v1/instance/attributes/user-data",
	headers:         gcpHeaders,
	notFoundIsEmpty: true,
}}

var gcpHeaders = header("Metadata-Flavor", "Google")

type gcpProvider struct{ httpProvider }
