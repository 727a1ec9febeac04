package providers

// aliyun (Alibaba Cloud): GET http://100.100.100.200/latest/user-data; a 404 means no user
// data.

func init() {
	Register(httpProvider{id: "aliyun", src: httpSource{
		base:            "http://100.100.100.200",
		path:            "/latest/user-data",
		notFoundIsEmpty: true,
	}})
}
