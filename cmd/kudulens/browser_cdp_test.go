package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// A small client of the Chrome DevTools Protocol over --remote-debugging-pipe (the browser
// reads commands from its fd 3 and writes answers to its fd 4, each message ending in a NUL
// byte). It lets a test set a phone's viewport (width, pixel ratio, the viewport meta tag
// honoured) and measure the laid-out page with the report's own CSP untouched: the measuring
// script runs from DevTools, not from the page.

type cdp struct {
	cmd     *exec.Cmd
	w       io.WriteCloser
	r       *bufio.Reader
	nextID  int
	session string
	events  []cdpMessage // events read while waiting for an answer
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startCDP runs headless Chromium controlled through the pipe; it is stopped when the test ends.
func startCDP(t *testing.T, bin string) *cdp {
	t.Helper()
	toBrowser, browserIn, err := os.Pipe() // the browser reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	browserOut, fromBrowser, err := os.Pipe() // and writes fd 4
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	c := &cdp{cmd: cmd, w: browserIn, r: bufio.NewReader(browserOut)}
	t.Cleanup(func() {
		c.call("", "Browser.close", nil) // error ignored: the process is waited for below either way
		browserIn.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
		browserOut.Close()
	})
	return c
}

// call sends a command (to the attached page when session is set) and returns its result.
func (c *cdp) call(session, method string, params any) (json.RawMessage, error) {
	c.nextID++
	id := c.nextID
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return nil, fmt.Errorf("send %s: %w", method, err)
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if m.ID != id {
			if m.Method != "" {
				c.events = append(c.events, m)
			}
			continue
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	}
}

func (c *cdp) read() (cdpMessage, error) {
	b, err := c.r.ReadBytes(0)
	if err != nil {
		return cdpMessage{}, err
	}
	var m cdpMessage
	if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
		return m, fmt.Errorf("decode %q: %w", b, err)
	}
	return m, nil
}

// waitEvent waits for an event of the attached page (one already read counts).
func (c *cdp) waitEvent(method string) error {
	for i, m := range c.events {
		if m.Method == method {
			c.events = append(c.events[:i], c.events[i+1:]...)
			return nil
		}
	}
	for {
		m, err := c.read()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", method, err)
		}
		if m.Method == method {
			return nil
		}
	}
}

// openPage opens url in a new page with the given viewport (mobile: the viewport meta tag
// applies and the page is laid out as on a phone) and waits until it has loaded.
func (c *cdp) openPage(url string, width, height int, scale float64, mobile bool) error {
	res, err := c.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return err
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(res, &target); err != nil {
		return err
	}
	res, err = c.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		return err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(res, &att); err != nil {
		return err
	}
	c.session = att.SessionID
	if _, err := c.call(c.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}); err != nil {
		return err
	}
	if _, err := c.call(c.session, "Page.enable", nil); err != nil {
		return err
	}
	if _, err := c.call(c.session, "Page.navigate", map[string]any{"url": url}); err != nil {
		return err
	}
	return c.waitEvent("Page.loadEventFired")
}

// eval runs a JavaScript expression in the page and decodes its (JSON) value into v.
func (c *cdp) eval(expr string, v any) error {
	res, err := c.call(c.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		return err
	}
	if out.ExceptionDetails != nil {
		return fmt.Errorf("script: %s %s", out.ExceptionDetails.Text, out.ExceptionDetails.Exception.Description)
	}
	return json.Unmarshal(out.Result.Value, v)
}

// screenshot saves the whole page (not only the viewport) as a PNG file.
func (c *cdp) screenshot(path string) error {
	res, err := c.call(c.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		return err
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &shot); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return fmt.Errorf("decode the screenshot: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}
