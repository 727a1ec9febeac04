package providers

// vultr: GET /user-data/user-data (the path the reference uses, not the EC2-style
// /latest/user-data); a 404 means no user data.

func init() {
	Register(httpProvider{id: "vultr", src: httpSource{
		base:            defaultMetadataURL,
		path:            "/user-data/user-data",
		notFoundIsEmpty: true,
	}})
}
