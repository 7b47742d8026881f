package eventsapi

// What the package's external tests (eventsapi_test) use of its internals.

// AcceptsGzip is acceptsGzip.
var AcceptsGzip = acceptsGzip

// ExportBuffer is exportBuffer.
type ExportBuffer = exportBuffer

// NewExportBuffer is an exportBuffer that fails past limit bytes.
func NewExportBuffer(limit int) *ExportBuffer { return &exportBuffer{limit: limit} }
