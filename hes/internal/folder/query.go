package folder

import (
	"net/url"
	"strconv"
	"time"
)

// QueryParams are the URL parameters that ParseQuery reads, which every
// folder source's URL takes.
var QueryParams = []string{"claim_timeout", "max_attempts", "delete"}

// ParseQuery sets o's fields from the URL parameters claim_timeout (a Go
// duration), max_attempts (an integer) and delete (a boolean: delete
// acknowledged files); absent parameters leave their field as it is. On
// error it returns the parameter that does not parse.
func (o *Options) ParseQuery(q url.Values) (param string, err error) {
	if v := q.Get("claim_timeout"); v != "" {
		if o.ClaimTimeout, err = time.ParseDuration(v); err != nil {
			return "claim_timeout", err
		}
	}
	if v := q.Get("max_attempts"); v != "" {
		if o.MaxAttempts, err = strconv.Atoi(v); err != nil {
			return "max_attempts", err
		}
	}
	if v := q.Get("delete"); v != "" {
		if o.DeleteAcked, err = strconv.ParseBool(v); err != nil {
			return "delete", err
		}
	}
	return "", nil
}
