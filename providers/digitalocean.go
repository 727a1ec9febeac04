package providers

// digitalocean: GET /metadata/v1/user-data. Every error fails, a 404 included: the service
// answers 200 with an empty body when the droplet has no user data.

func init() { Register(digitalOceanProvider{digitalOceanUserData}) }

var digitalOceanUserData = httpProvider{id: "digitalocean", src: httpSource{
	base: defaultMetadataURL,
	path: "/metadata/v1/user-data",
}}

type digitalOceanProvider struct{ httpProvider }
