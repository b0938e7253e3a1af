package cwlogs

import "errors"

// The kinds of DecodeError. Test for them with errors.Is; Reason maps an
// error to a short label.
var (
	// ErrBadBase64 means the data was not standard base64.
	ErrBadBase64 = errors.New("cwlogs: bad base64")
	// ErrBadGzip means the bytes were not a complete, valid gzip stream.
	ErrBadGzip = errors.New("cwlogs: bad gzip")
	// ErrTooLarge means the gzip stream decompressed to more than the
	// decoder's limit (see Decoder.MaxDecompressedBytes).
	ErrTooLarge = errors.New("cwlogs: decompressed payload too large")
	// ErrBadJSON means the decompressed bytes were not JSON, or were JSON
	// that is not a subscription payload object.
	ErrBadJSON = errors.New("cwlogs: bad JSON")
)

// Reasons returned by Reason, usable as metric or log labels.
const (
	ReasonBase64   = "bad_base64"
	ReasonGzip     = "bad_gzip"
	ReasonTooLarge = "too_large"
	ReasonJSON     = "bad_json"
	ReasonOther    = "other"
)

// Reason classifies an error returned by this package: ReasonBase64,
// ReasonGzip, ReasonTooLarge, ReasonJSON, or ReasonOther for anything else.
// It returns "" for a nil error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadBase64):
		return ReasonBase64
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrBadGzip):
		return ReasonGzip
	case errors.Is(err, ErrBadJSON):
		return ReasonJSON
	default:
		return ReasonOther
	}
}

// DecodeError is the error of every decode function and method.
type DecodeError struct {
	// Kind is ErrBadBase64, ErrBadGzip, ErrTooLarge or ErrBadJSON.
	Kind error
	// Err is the detail, e.g. a gzip checksum error or where the JSON broke.
	Err error
	// LogGroup and LogStream are the payload's if the JSON was read far
	// enough to find them before it broke (CloudWatch Logs writes them
	// first), so that a broken payload can still be traced to its source.
	LogGroup, LogStream string
}

func (e *DecodeError) Error() string { return e.Kind.Error() + ": " + e.Err.Error() }

// Unwrap returns Kind and Err, so errors.Is matches both.
func (e *DecodeError) Unwrap() []error { return []error{e.Kind, e.Err} }
