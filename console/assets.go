package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
)

//go:embed assets
var assetFS embed.FS

// AssetPrefix is the path under which the stylesheet and script are
// served, below the console's BasePath.
const AssetPrefix = "/assets/"

// assetTypes are the content types of the assets, by extension. Not
// mime.TypeByExtension: that loads the system's whole MIME database into
// the heap, for the garbage collector to walk in every cycle, and its
// answers vary from system to system.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// asset is one embedded file, with the version that goes in its URL.
type asset struct {
	body    []byte
	ctype   string
	version string // first 12 hex digits of the body's SHA-256
}

// loadAssets reads the embedded files and returns them by name, with the
// versioned URL of each under basePath.
func loadAssets(basePath string) (map[string]asset, map[string]string, error) {
	names, err := fs.Glob(assetFS, "assets/*")
	if err != nil {
		return nil, nil, fmt.Errorf("console: list assets: %w", err)
	}
	files, urls := make(map[string]asset, len(names)), make(map[string]string, len(names))
	for _, n := range names {
		body, err := assetFS.ReadFile(n)
		if err != nil {
			return nil, nil, fmt.Errorf("console: read %s: %w", n, err)
		}
		sum := sha256.Sum256(body)
		name := path.Base(n)
		ctype, ok := assetTypes[path.Ext(name)]
		if !ok {
			return nil, nil, fmt.Errorf("console: no content type for asset %s", name)
		}
		a := asset{body: body, ctype: ctype, version: hex.EncodeToString(sum[:6])}
		files[name] = a
		urls[name] = basePath + AssetPrefix + name + "?v=" + a.version
	}
	return files, urls, nil
}

// Asset serves GET /assets/{file} (under the BasePath): the stylesheet and the copy script. A
// request for the current version may be cached for a year, since a new
// version gets a new URL; any other is revalidated.
func (c *Console) Asset(w http.ResponseWriter, r *http.Request) {
	a, ok := c.assets[r.PathValue("file")]
	if !ok {
		c.fail(w, r, notFound())
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	h.Set("ETag", `"`+a.version+`"`)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+a.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.body)
}
