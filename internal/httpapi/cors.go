package httpapi

// CORSExposeHeaders are the answer headers, beyond the CORS-safelisted ones, that browser code
// may read: Retry-After (429, 503), Location (201) and Content-Disposition (downloads). The
// stack's HTTP API and the local gateway both expose exactly these.
var CORSExposeHeaders = []string{"Retry-After", "Location", "Content-Disposition"}
