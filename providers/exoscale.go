package providers

// exoscale: GET /1.0/user-data; a 404 means no user data.

func init() {
	Register(httpProvider{id: "exoscale", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/1.0/user-data",
		notFoundIsEmpty: true,
	}})
}
