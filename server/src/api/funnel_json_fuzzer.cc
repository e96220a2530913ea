// libFuzzer target: arbitrary bytes as a POST /api/funnels/query body (and as a saved funnel's
// definition, and as a step's regex) must never crash or hang, and an accepted body must be a
// query every engine accepts whose written definition parses back to the same funnel.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/funnel_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto f = tapistry::ParseFunnelQueryBody(body, "p_0123456789abcdef", 1733529600000);
  if (f.ok()) {
    if (!tapistry::ValidateFunnelQuery(f->query).ok()) std::abort();
    if (f->labels.size() != f->query.steps.size()) std::abort();
    auto again = tapistry::ParseFunnelDefinition(tapistry::FunnelDefinitionJson(*f));
    if (!again.ok() || again->query.steps != f->query.steps ||
        again->query.exclusions != f->query.exclusions || again->query.mode != f->query.mode ||
        again->query.window_ms != f->query.window_ms) {
      std::abort();
    }
    tapistry::FunnelResult r;
    r.steps.resize(f->query.steps.size());
    (void)tapistry::FunnelResultJson(*f, r);
    (void)tapistry::FunnelResultCsv(*f, r);
  } else if (f.status().message().empty()) {
    std::abort();  // every refusal says why
  }
  (void)tapistry::ParseFunnelDefinition(body);
  if (size <= 512) (void)tapistry::CheckFunnelRegex(body);
  return 0;
}
