package providers

// upcloud: GET /metadata/v1/user_data; a 404 means no user data (custom images must enable
// the metadata service).

func init() {
	Register(httpProvider{id: "upcloud", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/metadata/v1/user_data",
		notFoundIsEmpty: true,
	}})
}
