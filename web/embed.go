package web

import (
	"embed"
	"io/fs"
)

// dist holds what `npm run build` wrote, or only the committed placeholder
// (dist/.gitkeep) when it never ran: `all:` keeps the dotfile, so the
// pattern always matches something and `go build` never fails for want of
// Node.js.
//
//go:embed all:dist
var dist embed.FS

// Dist is the built dashboard as a file system rooted at dist/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path; "dist" is a constant.
		panic(err)
	}
	return sub
}
