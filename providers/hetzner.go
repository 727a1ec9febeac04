package providers

// hetzner (Hetzner Cloud): GET /hetzner/v1/userdata; a 404 means no user data.

func init() { Register(hetznerProvider{hetznerUserData}) }

var hetznerUserData = httpProvider{id: "hetzner", src: httpSource{
	base:            defaultMetadataURL,
	path:            "/hetzner/v1/userdata",
	notFoundIsEmpty: true,
}}

type hetznerProvider struct{ httpProvider }
