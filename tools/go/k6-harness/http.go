package main

// k6/http for one VU: real requests with Go's net/http, loopback only, keep-alive per VU,
// k6's response object, error codes, response callbacks, cookie jars and built-in metrics.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/grafana/sobek"
)

// k6's error codes (see its error-codes documentation) for the failures a loopback test meets.
const (
	codeGeneric         = 1000
	codeNonTCP          = 1010
	codeInvalidURL      = 1020
	codeTimeout         = 1050
	codeBlacklistedIP   = 1110
	codeBlockedHostname = 1111
	codeTCP             = 1200
	codeBrokenPipe      = 1201
	codeDial            = 1210
	codeDialTimeout     = 1211
	codeDialRefused     = 1212
	codeResetByPeer     = 1220
)

type vuHTTP struct {
	v         *vu
	transport *http.Transport
	jar       *jsJar // the VU's default jar (http.cookieJar())
	callback  *expectedStatuses
	sent      atomic.Int64
	received  atomic.Int64
}

type countingConn struct {
	net.Conn
	h *vuHTTP
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.h.received.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.h.sent.Add(int64(n))
	return n, err
}

type blockedHostError struct {
	host string
	code int
}

func (e *blockedHostError) Error() string {
	return fmt.Sprintf("host %q is not a loopback address: k6-harness only contacts 127.0.0.0/8, ::1 and localhost", e.host)
}

func checkLoopback(host string) error {
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return &blockedHostError{host: host, code: codeBlockedHostname}
	}
	if !ip.IsLoopback() {
		return &blockedHostError{host: host, code: codeBlacklistedIP}
	}
	return nil
}

func newVUHTTP(v *vu) *vuHTTP {
	h := &vuHTTP{v: v, callback: defaultExpected()}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	h.transport = &http.Transport{
		// Never a proxy: the traffic stays on loopback whatever HTTP_PROXY says.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if err := checkLoopback(host); err != nil {
				return nil, err
			}
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: conn, h: h}, nil
		},
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	h.jar = newJSJar()
	return h
}

type jsJar struct {
	jar *cookiejar.Jar
}

func newJSJar() *jsJar {
	j, _ := cookiejar.New(nil)
	return &jsJar{jar: j}
}

// expectedStatuses is what http.expectedStatuses() returns: a list of codes and ranges.
type expectedStatuses struct {
	codes  []int
	ranges [][2]int
}

func defaultExpected() *expectedStatuses { return &expectedStatuses{ranges: [][2]int{{200, 399}}} }

func (e *expectedStatuses) expects(status int) bool {
	for _, c := range e.codes {
		if c == status {
			return true
		}
	}
	for _, r := range e.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	return false
}

func (v *vu) httpModule() *sobek.Object {
	rt := v.rt
	h := v.http
	o := rt.NewObject()
	verb := func(method string, hasBody bool) func(sobek.FunctionCall) sobek.Value {
		return func(call sobek.FunctionCall) sobek.Value {
			body, params := sobek.Undefined(), call.Argument(1)
			if hasBody {
				body, params = call.Argument(1), call.Argument(2)
			}
			return h.request(method, call.Argument(0), body, params)
		}
	}
	must(o.Set("request", func(call sobek.FunctionCall) sobek.Value {
		return h.request(strings.ToUpper(call.Argument(0).String()), call.Argument(1), call.Argument(2), call.Argument(3))
	}))
	must(o.Set("get", verb("GET", false)))
	must(o.Set("head", verb("HEAD", false)))
	must(o.Set("post", verb("POST", true)))
	must(o.Set("put", verb("PUT", true)))
	must(o.Set("patch", verb("PATCH", true)))
	must(o.Set("del", verb("DELETE", true)))
	must(o.Set("options", verb("OPTIONS", true)))
	must(o.Set("expectedStatuses", func(call sobek.FunctionCall) sobek.Value {
		e := &expectedStatuses{}
		for i, a := range call.Arguments {
			if obj, ok := a.(*sobek.Object); ok {
				lo, hi := obj.Get("min"), obj.Get("max")
				if lo == nil || hi == nil {
					v.throw("expectedStatuses: argument %d must be a status code or {min, max}", i+1)
				}
				e.ranges = append(e.ranges, [2]int{int(lo.ToInteger()), int(hi.ToInteger())})
				continue
			}
			if _, isNum := a.Export().(int64); !isNum {
				v.throw("expectedStatuses: argument %d must be a status code or {min, max}, got %s", i+1, a.String())
			}
			e.codes = append(e.codes, int(a.ToInteger()))
		}
		return rt.ToValue(e)
	}))
	must(o.Set("setResponseCallback", func(cb sobek.Value) {
		h.callback = toCallback(v, cb)
	}))
	must(o.Set("CookieJar", func(call sobek.ConstructorCall) *sobek.Object {
		return v.jarObject(newJSJar())
	}))
	must(o.Set("cookieJar", func() *sobek.Object { return v.jarObject(h.jar) }))
	return o
}

func toCallback(v *vu, cb sobek.Value) *expectedStatuses {
	if cb == nil || sobek.IsNull(cb) || sobek.IsUndefined(cb) {
		return nil
	}
	e, ok := cb.Export().(*expectedStatuses)
	if !ok {
		v.throw("a response callback must be the result of http.expectedStatuses() or null")
	}
	return e
}

// jarObject wraps a jar for JavaScript; the Go jar stays reachable for params.jar.
func (v *vu) jarObject(j *jsJar) *sobek.Object {
	rt := v.rt
	o := rt.NewObject()
	must(o.Set("__jar", j))
	must(o.Set("cookiesForURL", func(raw string) *sobek.Object {
		u, err := url.Parse(raw)
		if err != nil {
			v.throw("cookiesForURL: %v", err)
		}
		out := rt.NewObject()
		byName := map[string][]interface{}{}
		var names []string
		for _, c := range j.jar.Cookies(u) {
			if _, seen := byName[c.Name]; !seen {
				names = append(names, c.Name)
			}
			byName[c.Name] = append(byName[c.Name], c.Value)
		}
		for _, n := range names {
			must(out.Set(n, byName[n]))
		}
		return out
	}))
	must(o.Set("set", func(raw, name, value string, opts sobek.Value) {
		u, err := url.Parse(raw)
		if err != nil {
			v.throw("set: %v", err)
		}
		c := &http.Cookie{Name: name, Value: value}
		if oo, ok := opts.(*sobek.Object); ok {
			if p := oo.Get("path"); p != nil && !sobek.IsUndefined(p) {
				c.Path = p.String()
			}
			if d := oo.Get("domain"); d != nil && !sobek.IsUndefined(d) {
				c.Domain = d.String()
			}
		}
		j.jar.SetCookies(u, []*http.Cookie{c})
	}))
	must(o.Set("clear", func(raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			v.throw("clear: %v", err)
		}
		var gone []*http.Cookie
		for _, c := range j.jar.Cookies(u) {
			gone = append(gone, &http.Cookie{Name: c.Name, Value: "", MaxAge: -1})
		}
		j.jar.SetCookies(u, gone)
	}))
	must(o.Set("delete", func(raw, name string) {
		u, err := url.Parse(raw)
		if err != nil {
			v.throw("delete: %v", err)
		}
		j.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: "", MaxAge: -1}})
	}))
	return o
}

type reqParams struct {
	headers   http.Header
	tags      map[string]string
	timeout   time.Duration
	callback  *expectedStatuses
	jar       *jsJar
	cookies   map[string]string
	redirects int
}

func (h *vuHTTP) parseParams(p sobek.Value) reqParams {
	v := h.v
	out := reqParams{headers: http.Header{}, tags: map[string]string{}, timeout: 60 * time.Second,
		callback: h.callback, jar: h.jar, redirects: intOr(v.r.opts.MaxRedirects, 10)}
	o, ok := p.(*sobek.Object)
	if !ok || p == nil {
		return out
	}
	for _, key := range o.Keys() {
		val := o.Get(key)
		switch key {
		case "headers":
			if ho, ok := val.(*sobek.Object); ok {
				for _, k := range ho.Keys() {
					out.headers.Set(k, ho.Get(k).String())
				}
			}
		case "tags":
			out.tags = exportTags(val)
		case "timeout":
			if d, isStr := val.Export().(string); isStr {
				parsed, err := time.ParseDuration(d)
				if err != nil {
					if n, nerr := strconv.ParseFloat(d, 64); nerr == nil {
						parsed = time.Duration(n * float64(time.Millisecond))
					} else {
						v.throw("invalid timeout %q: %v", d, err)
					}
				}
				out.timeout = parsed
			} else {
				out.timeout = time.Duration(val.ToFloat() * float64(time.Millisecond))
			}
		case "responseCallback":
			out.callback = toCallback(v, val)
		case "jar":
			if jo, ok := val.(*sobek.Object); ok {
				if j, ok := jo.Get("__jar").Export().(*jsJar); ok {
					out.jar = j
					continue
				}
			}
			if !sobek.IsNull(val) && !sobek.IsUndefined(val) {
				v.throw("params.jar must be an http.CookieJar")
			}
		case "cookies":
			for k, c := range exportTags(val) {
				if out.cookies == nil {
					out.cookies = map[string]string{}
				}
				out.cookies[k] = c
			}
		case "redirects":
			out.redirects = int(val.ToInteger())
		case "responseType":
			if s := val.String(); s != "text" {
				v.throw("responseType %q is not supported by k6-harness (only text)", s)
			}
		}
	}
	return out
}

type timings struct {
	blocked, connecting, sending, waiting, receiving, duration time.Duration
}

func (h *vuHTTP) request(method string, rawURL, body, params sobek.Value) sobek.Value {
	v := h.v
	if v.inInit {
		v.throw("making HTTP requests in the init context is not supported")
	}
	rt := v.rt
	p := h.parseParams(params)
	urlStr := rawURL.String()
	var bodyText string
	hasBody := false
	if body != nil && !sobek.IsUndefined(body) && !sobek.IsNull(body) {
		hasBody = true
		if bo, isObj := body.(*sobek.Object); isObj && bo.ClassName() == "Object" {
			form := url.Values{}
			for _, k := range bo.Keys() {
				form.Set(k, bo.Get(k).String())
			}
			bodyText = form.Encode()
			if p.headers.Get("Content-Type") == "" {
				p.headers.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			bodyText = body.String()
		}
	}

	tags := v.tags()
	for k, val := range p.tags {
		tags[k] = val
	}
	tags["method"] = method
	tags["url"] = urlStr
	if _, named := p.tags["name"]; !named {
		tags["name"] = urlStr
	}

	res := rt.NewObject()
	reqObj := rt.NewObject()
	must(reqObj.Set("method", method))
	must(reqObj.Set("url", urlStr))
	must(reqObj.Set("body", bodyText))
	must(res.Set("request", reqObj))
	must(res.Set("url", urlStr))
	must(res.Set("status", 0))
	must(res.Set("body", ""))
	must(res.Set("headers", rt.NewObject()))
	must(res.Set("cookies", rt.NewObject()))
	must(res.Set("error", ""))
	must(res.Set("error_code", 0))

	u, err := url.Parse(urlStr)
	if err == nil && (u.Scheme != "http" && u.Scheme != "https") {
		err = fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	var t timings
	var resp *http.Response
	var respBody []byte
	if err == nil {
		err = checkLoopback(u.Hostname())
	}
	if err == nil {
		resp, respBody, t, err = h.do(method, u, hasBody, bodyText, p, reqObj)
	}
	if resp != nil {
		// The final URL after redirects, as k6 reports it.
		must(res.Set("url", resp.Request.URL.String()))
		must(res.Set("status", resp.StatusCode))
		must(res.Set("proto", resp.Proto))
		tags["status"] = strconv.Itoa(resp.StatusCode)
		tags["proto"] = resp.Proto
		headers := rt.NewObject()
		keys := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			must(headers.Set(k, strings.Join(resp.Header[k], ", ")))
		}
		must(res.Set("headers", headers))
		must(res.Set("body", string(respBody)))
		must(res.Set("cookies", responseCookies(rt, resp)))
	} else {
		tags["status"] = "0"
	}
	if err != nil {
		code, msg := errorCode(err)
		must(res.Set("error", msg))
		must(res.Set("error_code", code))
		tags["error"] = msg
		tags["error_code"] = strconv.Itoa(code)
	}
	tm := rt.NewObject()
	for name, d := range map[string]time.Duration{"duration": t.duration, "blocked": t.blocked,
		"connecting": t.connecting, "tls_handshaking": 0, "sending": t.sending, "waiting": t.waiting, "receiving": t.receiving} {
		must(tm.Set(name, ms(d)))
	}
	must(res.Set("timings", tm))
	bodyRef := string(respBody)
	must(res.Set("json", func(call sobek.FunctionCall) sobek.Value {
		if len(call.Arguments) > 0 && !sobek.IsUndefined(call.Argument(0)) {
			v.throw("res.json(selector) is not supported by k6-harness; call res.json() and read the field")
		}
		val, err := v.jsonParse(bodyRef)
		if err != nil {
			panic(err)
		}
		return val
	}))

	now := time.Now()
	var samples []sample
	add := func(name string, value float64, tg map[string]string) {
		samples = append(samples, sample{metric: v.r.eng.lookup(name), time: now, value: value, tags: tg})
	}
	if p.callback != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		expected := err == nil && p.callback.expects(status)
		tags["expected_response"] = strconv.FormatBool(expected)
		failed := 1.0
		if expected {
			failed = 0
		}
		add("http_req_failed", failed, tags)
	}
	add("http_reqs", 1, tags)
	add("http_req_duration", ms(t.duration), tags)
	add("http_req_blocked", ms(t.blocked), tags)
	add("http_req_connecting", ms(t.connecting), tags)
	add("http_req_tls_handshaking", 0, tags)
	add("http_req_sending", ms(t.sending), tags)
	add("http_req_waiting", ms(t.waiting), tags)
	add("http_req_receiving", ms(t.receiving), tags)
	dataTags := v.tags()
	add("data_sent", float64(h.sent.Swap(0)), dataTags)
	add("data_received", float64(h.received.Swap(0)), dataTags)
	v.r.eng.push(samples...)
	return res
}

// do sends the request (following redirects up to p.redirects, each hop loopback only) and
// reads the whole body, measuring k6's timing phases with httptrace.
func (h *vuHTTP) do(method string, u *url.URL, hasBody bool, bodyText string, p reqParams, reqObj *sobek.Object) (*http.Response, []byte, timings, error) {
	var t timings
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	var start, gotConn, connStart, connDone, wrote, firstByte time.Time
	trace := &httptrace.ClientTrace{
		GetConn:              func(string) { start = time.Now() },
		ConnectStart:         func(string, string) { connStart = time.Now() },
		ConnectDone:          func(string, string, error) { connDone = time.Now() },
		GotConn:              func(httptrace.GotConnInfo) { gotConn = time.Now() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { wrote = time.Now() },
		GotFirstResponseByte: func() { firstByte = time.Now() },
	}
	var reader io.Reader
	if hasBody {
		reader = strings.NewReader(bodyText)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, u.String(), reader)
	if err != nil {
		return nil, nil, t, err
	}
	req.Header = p.headers.Clone()
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "k6-harness (https://k6.io/ semantics; Sobek)")
	}
	for k, c := range p.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: c})
	}
	hdrs := v8Headers(h.v.rt, req.Header)
	must(reqObj.Set("headers", hdrs))
	client := &http.Client{
		Transport: h.transport,
		Jar:       p.jar.jar,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if err := checkLoopback(next.URL.Hostname()); err != nil {
				return err
			}
			if len(via) > p.redirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, t, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	end := time.Now()
	if start.IsZero() {
		start = gotConn
	}
	if !connStart.IsZero() && !connDone.IsZero() {
		t.connecting = connDone.Sub(connStart)
		t.blocked = connStart.Sub(start)
	} else if !gotConn.IsZero() {
		t.blocked = gotConn.Sub(start)
	}
	if !wrote.IsZero() && !gotConn.IsZero() {
		t.sending = wrote.Sub(gotConn)
	}
	if !firstByte.IsZero() && !wrote.IsZero() {
		t.waiting = firstByte.Sub(wrote)
		t.receiving = end.Sub(firstByte)
	}
	t.duration = t.sending + t.waiting + t.receiving
	if err != nil {
		return resp, body, t, err
	}
	return resp, body, t, nil
}

// v8Headers gives request headers as k6 shows them on res.request.headers: name → [values].
func v8Headers(rt *sobek.Runtime, hdr http.Header) *sobek.Object {
	o := rt.NewObject()
	for k, vals := range hdr {
		list := make([]interface{}, len(vals))
		for i, s := range vals {
			list[i] = s
		}
		must(o.Set(k, list))
	}
	return o
}

func responseCookies(rt *sobek.Runtime, resp *http.Response) *sobek.Object {
	o := rt.NewObject()
	byName := map[string][]interface{}{}
	var names []string
	for _, c := range resp.Cookies() {
		if _, seen := byName[c.Name]; !seen {
			names = append(names, c.Name)
		}
		obj := rt.NewObject()
		must(obj.Set("name", c.Name))
		must(obj.Set("value", c.Value))
		must(obj.Set("domain", c.Domain))
		must(obj.Set("path", c.Path))
		must(obj.Set("http_only", c.HttpOnly))
		must(obj.Set("secure", c.Secure))
		must(obj.Set("max_age", c.MaxAge))
		expires := int64(0)
		if !c.Expires.IsZero() {
			expires = c.Expires.UnixMilli()
		}
		must(obj.Set("expires", expires))
		byName[c.Name] = append(byName[c.Name], obj)
	}
	for _, n := range names {
		must(o.Set(n, byName[n]))
	}
	return o
}

// errorCode maps a Go error to k6's numeric code and a short message, following k6's documented
// categories (general, DNS, TCP).
func errorCode(err error) (int, string) {
	var blocked *blockedHostError
	if errors.As(err, &blocked) {
		return blocked.code, blocked.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return codeDialTimeout, "dial: i/o timeout"
		}
		return codeTimeout, "request timeout"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil {
		err = uerr.Err
	}
	var op *net.OpError
	if errors.As(err, &op) {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return codeDialRefused, "dial: connection refused"
		case errors.Is(err, syscall.ECONNRESET):
			return codeResetByPeer, op.Op + ": connection reset by peer"
		case errors.Is(err, syscall.EPIPE):
			return codeBrokenPipe, op.Op + ": broken pipe"
		case !strings.HasPrefix(op.Net, "tcp"):
			return codeNonTCP, err.Error()
		case op.Op == "dial":
			return codeDial, err.Error()
		}
		return codeTCP, err.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return codeGeneric, "EOF"
	}
	if strings.Contains(err.Error(), "unsupported protocol scheme") || strings.Contains(err.Error(), "invalid URL") {
		return codeInvalidURL, err.Error()
	}
	return codeGeneric, err.Error()
}
