package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIJSON is the API's OpenAPI 3.1 document. It is written by hand and
// kept honest by contract_test.go, which calls every documented operation on
// the real router and validates each response against it, and fails when the
// router and the document disagree on the routes.
//
//go:embed openapi.json
var openAPIJSON []byte

// OpenAPIDocument returns a copy of the embedded OpenAPI document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIJSON...) }

// openAPIDocument serves GET /openapi.json. The ETag middleware tags it like
// any JSON response, so clients re-download it only after a deploy changes it.
func openAPIDocument(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIJSON)
}
