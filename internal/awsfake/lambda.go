package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Lambda is a fake of the Lambda Invoke API. Handle runs the "function";
// every invocation that reached it is recorded.
type Lambda struct {
	// Handle answers invocation n (0-based, over all functions) of function
	// with its payload: a response, or a function error (functionError
	// non-empty, as in X-Amz-Function-Error), or an API fault that keeps
	// the function from running (throttling, a missing function). Nil
	// answers every invocation with "null".
	Handle func(n int, function, invocationType string, payload []byte) (response []byte, functionError string, fault *Fault)

	mu    sync.Mutex
	calls int
	ran   []Invocation
}

// Invocation is a call the function ran (a fault is not one).
type Invocation struct {
	Function, InvocationType string
	Payload                  []byte
	FunctionError            string
}

// Invocations returns what the function ran, in order.
func (l *Lambda) Invocations() []Invocation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Invocation(nil), l.ran...)
}

func (l *Lambda) serve(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/2015-03-31/functions/")
	name, ok := strings.CutSuffix(rest, "/invocations")
	if r.Method != http.MethodPost || !ok {
		restError(w, &Fault{http.StatusBadRequest, "InvalidRequestContentException"})
		return
	}
	name, _ = url.PathUnescape(name)
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		restError(w, &Fault{http.StatusBadRequest, "InvalidRequestContentException"})
		return
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	l.mu.Lock()
	n := l.calls
	l.calls++
	handle := l.Handle
	l.mu.Unlock()
	resp, fnErr, fault := []byte("null"), "", (*Fault)(nil)
	if handle != nil {
		resp, fnErr, fault = handle(n, name, typ, payload)
	}
	if fault != nil {
		restError(w, fault)
		return
	}
	l.mu.Lock()
	l.ran = append(l.ran, Invocation{Function: name, InvocationType: typ, Payload: payload, FunctionError: fnErr})
	l.mu.Unlock()
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if fnErr != "" {
		w.Header().Set("X-Amz-Function-Error", fnErr)
	}
	if typ == "Event" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(resp)
}

// restError writes a REST JSON error as Lambda does: the code in
// X-Amzn-ErrorType and the body.
func restError(w http.ResponseWriter, f *Fault) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", f.Code)
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, `{"Type":"User","message":"injected by the fake"}`)
}
