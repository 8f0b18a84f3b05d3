package review

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The headers Extend signs webhook requests with. HTTP header lookups are
// case-insensitive, so these canonical forms match any spelling.
const (
	HeaderTimestamp = "X-Extend-Request-Timestamp"
	HeaderSignature = "X-Extend-Request-Signature"
)

// Signature windows: Extend's SDKs reject timestamps older than five minutes
// or more than one minute in the future.
const (
	MaxSignatureAge  = 300 * time.Second
	MaxSignatureSkew = 60 * time.Second
)

// Sign returns the lowercase hex HMAC-SHA256 of "v0:<timestamp>:<body>" keyed
// with secret, exactly as Extend signs its webhooks.
func Sign(secret string, timestamp int64, body []byte) string {
	return hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("v0:"))
	h.Write([]byte(timestamp))
	h.Write([]byte(":"))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a webhook's timestamp and signature headers against body with
// every secret in secrets (several during a rotation). It returns an
// EUNAUTHORIZED *Error saying what is wrong.
func Verify(secrets []string, timestamp, signature string, body []byte, now time.Time) error {
	if timestamp == "" || signature == "" {
		return Errorf(EUNAUTHORIZED, "missing %s or %s header", HeaderTimestamp, HeaderSignature)
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return Errorf(EUNAUTHORIZED, "%s is not a Unix time in seconds", HeaderTimestamp)
	}
	switch t := time.Unix(ts, 0); {
	case now.Sub(t) > MaxSignatureAge:
		return Errorf(EUNAUTHORIZED, "timestamp is more than %d seconds old", int(MaxSignatureAge.Seconds()))
	case t.Sub(now) > MaxSignatureSkew:
		return Errorf(EUNAUTHORIZED, "timestamp is more than %d seconds in the future", int(MaxSignatureSkew.Seconds()))
	}
	got, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(signature)))
	if err != nil || len(got) != sha256.Size {
		return Errorf(EUNAUTHORIZED, "signature is not a hex HMAC-SHA256")
	}
	for _, s := range secrets {
		if s != "" && hmac.Equal(got, mac(s, strings.TrimSpace(timestamp), body)) {
			return nil
		}
	}
	return Errorf(EUNAUTHORIZED, "signature does not match")
}
