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

// Signature is a webhook's timestamp and signature headers, checked for
// form and freshness. Checking them needs no body, so a request whose headers
// are wrong is refused before its body is read.
type Signature struct {
	timestamp string
	mac       []byte
}

// ParseSignature checks a webhook's timestamp and signature headers: both
// present, the timestamp within the window around now, the signature a hex
// HMAC-SHA256. It returns an EUNAUTHORIZED *Error saying what is wrong.
func ParseSignature(timestamp, signature string, now time.Time) (Signature, error) {
	if timestamp == "" || signature == "" {
		return Signature{}, Errorf(EUNAUTHORIZED, "missing %s or %s header", HeaderTimestamp, HeaderSignature)
	}
	timestamp = strings.TrimSpace(timestamp)
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return Signature{}, Errorf(EUNAUTHORIZED, "%s is not a Unix time in seconds", HeaderTimestamp)
	}
	switch t := time.Unix(ts, 0); {
	case now.Sub(t) > MaxSignatureAge:
		return Signature{}, Errorf(EUNAUTHORIZED, "timestamp is more than %d seconds old", int(MaxSignatureAge.Seconds()))
	case t.Sub(now) > MaxSignatureSkew:
		return Signature{}, Errorf(EUNAUTHORIZED, "timestamp is more than %d seconds in the future", int(MaxSignatureSkew.Seconds()))
	}
	got, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(signature)))
	if err != nil || len(got) != sha256.Size {
		return Signature{}, Errorf(EUNAUTHORIZED, "signature is not a hex HMAC-SHA256")
	}
	return Signature{timestamp: timestamp, mac: got}, nil
}

// Matches reports, as an EUNAUTHORIZED *Error, whether the signature was
// made over body with one of secrets (several during a rotation), comparing
// in constant time.
func (s Signature) Matches(secrets []string, body []byte) error {
	for _, secret := range secrets {
		if secret != "" && hmac.Equal(s.mac, mac(secret, s.timestamp, body)) {
			return nil
		}
	}
	return Errorf(EUNAUTHORIZED, "signature does not match")
}

// Verify checks a webhook's headers and then its body: ParseSignature
// followed by Matches.
func Verify(secrets []string, timestamp, signature string, body []byte, now time.Time) error {
	sig, err := ParseSignature(timestamp, signature, now)
	if err != nil {
		return err
	}
	return sig.Matches(secrets, body)
}
