package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"clinicgw/agent/metrics"
)

// OutboundSealing is how the running gateway's outbox travels to the
// central store, as its admin listener's /metrics report it (`clinicgw
// status --config`): the state ("off", "sealed", "plain", "waiting",
// "refused"), the items sent sealed and plain and those the central store
// refused since the gateway started, and the central store's verified
// sealing key id ("" before one is). Counts, a state and a key id: no
// patient data.
type OutboundSealing struct {
	State                  string
	Sealed, Plain, Refused int
	CentralKeyID           string
}

// OutboundSealingFromAdmin reads the running gateway's outbound sealing
// from its admin listener. Nothing listening there is ErrAdminNotAnswering.
func OutboundSealingFromAdmin(ctx context.Context, cfg *Config) (OutboundSealing, error) {
	if !cfg.Admin.Enabled() {
		return OutboundSealing{}, ErrAdminNotAnswering
	}
	client, base, token, err := adminClient(cfg)
	if err != nil {
		return OutboundSealing{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+metrics.PathMetrics, nil)
	if err != nil {
		return OutboundSealing{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
			return OutboundSealing{}, fmt.Errorf("%w at %s", ErrAdminNotAnswering, base)
		}
		return OutboundSealing{}, fmt.Errorf("metrics from the admin listener %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return OutboundSealing{}, fmt.Errorf("metrics from the admin listener %s: %s", base, resp.Status)
	}
	return ParseOutboundSealing(io.LimitReader(resp.Body, 16<<20))
}

// ParseOutboundSealing reads the outbound sealing from a /metrics
// exposition (agent/metrics' clinicgw_sync_outbox_* and
// clinicgw_sync_central_sealing_key). Without them (a gateway that does
// not sync) the state is "".
func ParseOutboundSealing(r io.Reader) (OutboundSealing, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return OutboundSealing{}, fmt.Errorf("read the gateway's metrics: %w", err)
	}
	var o OutboundSealing
	label := func(m *dto.Metric, name string) string {
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				return l.GetValue()
			}
		}
		return ""
	}
	for _, m := range fams["clinicgw_sync_outbox_items_total"].GetMetric() {
		switch label(m, "sealing") {
		case "sealed":
			o.Sealed = int(m.GetCounter().GetValue())
		case "plain":
			o.Plain = int(m.GetCounter().GetValue())
		}
	}
	for _, m := range fams["clinicgw_sync_outbox_refused_total"].GetMetric() {
		o.Refused = int(m.GetCounter().GetValue())
	}
	for _, m := range fams["clinicgw_sync_outbox_sealing"].GetMetric() {
		o.State = label(m, "state")
	}
	for _, m := range fams["clinicgw_sync_central_sealing_key"].GetMetric() {
		o.CentralKeyID = label(m, "keyId")
	}
	return o, nil
}
