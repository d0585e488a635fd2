package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
)

// jsonContentType is what every JSON answer declares, as gin's own renderer
// does.
const jsonContentType = "application/json; charset=utf-8"

// writeJSON answers v as JSON. Every handler answers through it rather than
// gin's c.JSON, which escapes &, < and > as \u0026, \u003c and \u003e for
// embedding in HTML: this API serves JSON to programs, and "Fashion & Apparel"
// should read as written in the body, in logs and in curl output.
func writeJSON(c *gin.Context, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a value that cannot be JSON gets here: a programming error,
		// which the recoverer's log reports with the request's path.
		panic("encode JSON response: " + err.Error())
	}
	// Encode ends the document with a newline; gin's renderer does not, and
	// the bodies stay byte-for-byte what they were apart from the escaping.
	c.Data(status, jsonContentType, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// abortWithJSON stops the handler chain and answers v, like gin's
// AbortWithStatusJSON without the HTML escaping.
func abortWithJSON(c *gin.Context, status int, v any) {
	c.Abort()
	writeJSON(c, status, v)
}

// statusOK is the body of the health routes.
var statusOK = map[string]string{"status": "ok"}

func writeOK(c *gin.Context) { writeJSON(c, http.StatusOK, statusOK) }
