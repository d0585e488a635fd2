package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// maxEchoRunes bounds how much of a client's input an error message quotes
// back: enough to recognise the mistake, too little to turn the API into a
// reflector of whatever a caller sends.
const maxEchoRunes = 100

// maxListValues bounds how often a repeatable query parameter may be given.
// The dashboard sends a handful; thousands would only make the query slow.
const maxListValues = 50

// errTrailingJSON reports a body with more than one JSON value.
var errTrailingJSON = errors.New("unexpected data after the JSON value")

// echo shortens what a client sent before an error message quotes it: at
// most maxEchoRunes runes, the last being "…" when it was cut, and invalid
// UTF-8 dropped.
func echo(s string) string {
	s = string(bytes.ToValidUTF8([]byte(s), nil))
	if utf8.RuneCountInString(s) <= maxEchoRunes {
		return s
	}
	return string([]rune(s)[:maxEchoRunes-1]) + "…"
}

// readJSONBody decodes an optional JSON body into dst: exactly one JSON
// value, no unknown fields, sent as Content-Type: application/json. A blank
// body leaves dst alone and reports present false. On any problem it answers
// the error itself (413, 415 or 400 with the message bodyError gives) and
// reports ok false.
func readJSONBody(c *gin.Context, dst any, bodyError func(error) (message, parameter string)) (present, ok bool) {
	if c.Request.Body == nil {
		return false, true
	}
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if !abortIfTooLarge(c, err) {
			abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, "could not read the request body", map[string]any{"parameter": "body"})
		}
		return false, false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return false, true
	}
	if !isJSONContentType(c.GetHeader("Content-Type")) {
		abortWithError(c, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the request body must be sent with Content-Type: application/json",
			map[string]any{"content_type": echo(c.GetHeader("Content-Type"))})
		return false, false
	}
	if err := decodeOneJSONValue(raw, dst); err != nil {
		msg, param := bodyError(err)
		abortWithError(c, http.StatusBadRequest, CodeInvalidParameter, msg, map[string]any{"parameter": param})
		return false, false
	}
	return true, true
}

// decodeOneJSONValue decodes raw strictly: unknown fields are refused, and a
// second Decode must meet the end of the input, so `{} {}` or `{}}` is not
// taken for its first value.
func decodeOneJSONValue(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return errTrailingJSON
	}
	return nil
}

// isJSONContentType accepts application/json with any parameters (charset).
func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}
